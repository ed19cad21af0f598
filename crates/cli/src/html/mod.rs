//! The shell of raftsim's HTML pages — a trace's timeline ([`crate::timeline`]) and a
//! campaign's report ([`crate::campaign_page`]) — and the escaping every string put into one
//! goes through.
//!
//! A page is one self-contained file: its style and its script are inline and it refers to
//! nothing outside itself (no font, stylesheet, script or image to fetch), so that it opens
//! offline, from a CI artifact or an e-mail, exactly as it was written.

use std::fmt::Write;

/// The style every page shares: type, colours, header, tables, panels.
const BASE_CSS: &str = include_str!("base.css");

/// `text` with the characters HTML gives a meaning escaped, for element content and quoted
/// attribute values alike.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// `value` as JSON that can sit inside a `<script>` element: `<`, `>` and `&` are written as
/// `\u003c`, `\u003e`, `\u0026` (so that no `</script>` or `<!--` can end or bend the element,
/// whatever the strings hold), and the line separators U+2028 and U+2029 as escapes too. The
/// result is still JSON, and parses to the same value.
pub fn script_json(value: &impl serde::Serialize) -> String {
    let json = serde_json::to_string(value).expect("page data serializes");
    let mut escaped = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => escaped.push_str("\\u003c"),
            '>' => escaped.push_str("\\u003e"),
            '&' => escaped.push_str("\\u0026"),
            '\u{2028}' => escaped.push_str("\\u2028"),
            '\u{2029}' => escaped.push_str("\\u2029"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// The parts of a page.
pub struct Page<'a> {
    /// The title, as text (escaped here).
    pub title: &'a str,
    /// The page's own style, after the shared one.
    pub style: &'a str,
    /// The body's markup, already escaped where it holds text.
    pub body: &'a str,
    /// Data for the script, embedded as JSON in a `<script type="application/json">` element
    /// with id `data` (see [`script_json`]).
    pub data: Option<&'a str>,
    /// The page's script, if it has one.
    pub script: &'a str,
}

impl Page<'_> {
    /// The whole document.
    pub fn render(&self) -> String {
        let mut html = String::with_capacity(
            BASE_CSS.len() + self.style.len() + self.body.len() + self.script.len() + 512,
        );
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"raftsim {}\">\n<title>{}</title>\n\
             <style>\n{BASE_CSS}\n{}\n</style>\n</head>\n<body>\n{}\n",
            env!("CARGO_PKG_VERSION"),
            escape(self.title),
            self.style,
            self.body
        );
        if let Some(data) = self.data {
            let _ = writeln!(html, "<script id=\"data\" type=\"application/json\">{data}</script>");
        }
        if !self.script.is_empty() {
            let _ = writeln!(html, "<script>\n{}\n</script>", self.script);
        }
        html.push_str("</body>\n</html>\n");
        html
    }
}

/// `us` microseconds in the unit that reads best: `850 µs`, `12.5 ms`, `3.204 s`.
pub fn duration(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1e3)
    } else {
        format!("{:.3} s", us as f64 / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn script_json_cannot_close_its_element_and_still_parses() {
        let value = serde_json::json!({"detail": "</script><!-- & \u{2028}"});
        let json = script_json(&value);
        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'), "{json}");
        assert!(!json.contains('\u{2028}'), "{json}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&json).unwrap(), value);
    }

    #[test]
    fn a_page_is_self_contained() {
        let page = Page {
            title: "a <title>",
            style: "p { color: red }",
            body: "<p>body</p>",
            data: Some("[1]"),
            script: "document.body.dataset.ready = 1;",
        }
        .render();
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<title>a &lt;title&gt;</title>"));
        assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("src="));
        assert!(page.contains("<script id=\"data\" type=\"application/json\">[1]</script>"));
    }

    #[test]
    fn durations_read_in_their_unit() {
        assert_eq!(duration(850), "850 µs");
        assert_eq!(duration(12_500), "12.5 ms");
        assert_eq!(duration(3_204_000), "3.204 s");
    }
}
