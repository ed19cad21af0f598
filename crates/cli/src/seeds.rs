//! Seeds and shards as the command line spells them.

use std::fmt;
use std::str::FromStr;

/// Parses a seed in decimal or `0x` hexadecimal.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse::<u64>(),
    };
    parsed.map_err(|_| {
        format!("`{text}` is not a seed: use decimal or 0x-prefixed hex (e.g. 42, 0x2a)")
    })
}

/// Most worker threads a command starts: more than any machine this runs on has cores, and few
/// enough to start in an instant (a huge `--jobs` once spent minutes starting threads, deaf to
/// Ctrl-C, or failed to start them at all).
pub const JOBS_MAX: usize = 1024;

/// Parses `--jobs`: from 1 to [`JOBS_MAX`].
pub fn parse_jobs(text: &str) -> Result<usize, String> {
    match parse_positive(text)? {
        jobs if jobs > JOBS_MAX => Err(format!("must be at most {JOBS_MAX}")),
        jobs => Ok(jobs),
    }
}

/// Parses a positive count.
pub fn parse_positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(value) => Ok(value),
        Err(_) => Err(format!("`{text}` is not a positive integer")),
    }
}

/// Most seconds a wall-time option takes (about 31 years): more would overflow a `Duration`.
const SECONDS_MAX: f64 = 1e9;

/// Parses a positive, finite number of seconds (e.g. `--duration`), at most [`SECONDS_MAX`].
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds > SECONDS_MAX => {
            Err(format!("`{text}` is more than {SECONDS_MAX:.0} seconds"))
        }
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 => Ok(seconds),
        _ => Err(format!("`{text}` is not a positive number of seconds")),
    }
}

/// Parses a positive count of 64 bits (e.g. `bench --deliveries`).
pub fn parse_positive_u64(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(value) => Ok(value),
        Err(_) => Err(format!("`{text}` is not a positive integer")),
    }
}

/// Parses a positive seed count (`--seeds`): a campaign of zero seeds would pass vacuously.
pub fn parse_seed_count(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("a campaign needs at least one seed".to_owned()),
        Ok(count) => Ok(count),
        Err(_) => Err(format!("`{text}` is not a positive integer")),
    }
}

/// One shard of a seed range: shard `index` (1-based) of `count` takes every seed with
/// `seed % count == index - 1`, so shards partition any range and a seed's result does not
/// depend on how it was sharded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// The whole range.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Whether `seed` belongs to this shard.
    pub fn contains(self, seed: u64) -> bool {
        seed % self.count == self.index - 1
    }

    /// The first seed of this shard at or after `start`.
    pub fn first_from(self, start: u64) -> Option<u64> {
        let offset = (self.index - 1 + self.count - start % self.count) % self.count;
        start.checked_add(offset)
    }

    /// How many seeds of `start..=last` this shard holds.
    pub fn seeds_in(self, start: u64, last: u64) -> u64 {
        match self.first_from(start) {
            Some(first) if first <= last => (last - first) / self.count + 1,
            _ => 0,
        }
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}` is not a shard: use K/N with 1 <= K <= N (e.g. 2/4)");
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = index.trim().parse().map_err(|_| bad())?;
        let count: u64 = count.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_in_decimal_and_hex() {
        assert_eq!(parse_seed("42"), Ok(42));
        assert_eq!(parse_seed("0x2a"), Ok(42));
        assert_eq!(parse_seed("0xFFFFFFFFFFFFFFFF"), Ok(u64::MAX));
        assert!(parse_seed("0xZZ").is_err());
        assert!(parse_seed("-1").is_err());
        assert!(parse_seed("").is_err());
    }

    #[test]
    fn jobs_are_bounded() {
        assert_eq!(parse_jobs("1"), Ok(1));
        assert_eq!(parse_jobs("1024"), Ok(JOBS_MAX));
        for bad in ["0", "1025", "18446744073709551615", "-1", "many"] {
            assert!(parse_jobs(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn seconds_are_positive_finite_and_fit_a_duration() {
        assert_eq!(parse_seconds("1.5"), Ok(1.5));
        for bad in ["0", "-1", "nan", "inf", "1e300", "soon"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
        let max = parse_seconds("1e9").unwrap();
        assert!(std::time::Duration::try_from_secs_f64(max).is_ok());
    }

    #[test]
    fn shards_partition_a_range() {
        assert!("0/2".parse::<Shard>().is_err());
        assert!("3/2".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
        let shards: Vec<Shard> = (1..=3).map(|k| format!("{k}/3").parse().unwrap()).collect();
        for seed in 10..40 {
            assert_eq!(shards.iter().filter(|shard| shard.contains(seed)).count(), 1);
        }
        let shard: Shard = "2/3".parse().unwrap();
        assert_eq!(shard.first_from(10), Some(10));
        assert_eq!(shard.first_from(11), Some(13));
        assert_eq!(Shard::ALL.first_from(7), Some(7));
        assert_eq!(shard.seeds_in(10, 39), 10);
        assert_eq!(shard.seeds_in(11, 12), 0);
        assert_eq!(Shard::ALL.seeds_in(0, u64::MAX - 1), u64::MAX);
    }
}
