//! Headless Chromium for the tests of raftsim's HTML pages: load a page from a file, dump the
//! DOM its script built, take a screenshot. Where no Chromium is installed the tests say so and
//! pass without it (`apt-get install chromium` brings it in).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest a browser may take for one page; then it is killed and the test fails.
const BROWSER_TIME_MAX: Duration = Duration::from_secs(60);

/// The Chromium to use: `$CHROMIUM`, else the first of `chromium`, `chromium-browser` and
/// `google-chrome` on the `PATH`. `None` (after saying so on stderr) if there is none.
pub fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM").filter(|path| !path.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let paths = std::env::var_os("PATH").unwrap_or_default();
    let found = ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        std::env::split_paths(&paths)
            .map(|directory| directory.join(name))
            .find(|path| path.is_file())
    });
    if found.is_none() {
        eprintln!("skipped: Chromium not found (apt-get install chromium)");
    }
    found
}

/// A headless browser with a fresh profile, kept off the network.
pub struct Browser {
    binary: PathBuf,
    profile: tempfile::TempDir,
}

impl Browser {
    /// The browser at `binary`.
    pub fn new(binary: PathBuf) -> Browser {
        Browser { binary, profile: tempfile::TempDir::new().expect("a profile directory") }
    }

    /// The DOM of `page` once its script has run.
    pub fn dump_dom(&self, page: &Path) -> String {
        self.run(page, &["--dump-dom"])
    }

    /// A screenshot of `page` in a window of `width` by `height`, written to `png`.
    pub fn screenshot(&self, page: &Path, png: &Path, width: u32, height: u32) {
        let shot = format!("--screenshot={}", png.display());
        let size = format!("--window-size={width},{height}");
        self.run(page, &[&shot, &size]);
    }

    /// Runs the browser on `page` with `extra` arguments and returns its standard output;
    /// kills it after [`BROWSER_TIME_MAX`].
    fn run(&self, page: &Path, extra: &[&str]) -> String {
        let page = page.canonicalize().expect("the page exists");
        let profile = format!("--user-data-dir={}", self.profile.path().display());
        let mut child = Command::new(&self.binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=5000",
                &profile,
            ])
            .args(extra)
            .arg(format!("file://{}", page.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", self.binary.display()));
        let mut stdout = child.stdout.take().expect("piped");
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        #[allow(clippy::disallowed_methods, reason = "a wall-clock limit on a real browser")]
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("the browser can be waited for") {
                break status;
            }
            #[allow(clippy::disallowed_methods, reason = "a wall-clock limit on a real browser")]
            let waited = Instant::now().duration_since(started);
            if waited > BROWSER_TIME_MAX {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the browser took more than {BROWSER_TIME_MAX:?} on {}", page.display());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let text = reader.join().expect("the reader thread ends");
        assert!(status.success(), "the browser failed ({status}) on {}", page.display());
        text
    }
}

/// Asserts that `html` fetches nothing: no address of anything outside it, no `src=` at all.
#[track_caller]
pub fn assert_self_contained(html: &str) {
    for outside in ["http://", "https://", "src=", "@import", "url("] {
        assert!(!html.contains(outside), "the page refers outside itself: `{outside}`");
    }
}

/// Asserts that `png` is a PNG image of some substance (a blank page is a few kilobytes).
#[track_caller]
pub fn assert_screenshot(png: &Path) {
    let bytes = std::fs::read(png).unwrap_or_else(|error| panic!("no screenshot: {error}"));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is not a PNG", png.display());
    assert!(bytes.len() > 20_000, "the screenshot is nearly blank: {} bytes", bytes.len());
}
