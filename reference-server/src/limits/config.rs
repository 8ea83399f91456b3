//! The rate-limit settings: the `[rate_limits]` table of the configuration file and its
//! `WOOLLY_RATE_LIMIT_*` environment variables. Every default is Mastodon's.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A limit: at most `count` in every `period_seconds` (`count` 0: no limit). Written
/// `COUNT/PERIOD` with the period in seconds or with a unit `s`, `m`, `h` or `d`
/// (`"300/5m"`), or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rate {
    /// How many in a period (0: no limit).
    pub count: u32,
    /// The period, in seconds (at least 1).
    pub period_seconds: u64,
}

impl Rate {
    /// `count` per `period_seconds`.
    pub const fn new(count: u32, period_seconds: u64) -> Self {
        Rate {
            count,
            period_seconds,
        }
    }
    /// No limit.
    pub const OFF: Rate = Rate::new(0, 1);
    /// Whether this limits anything.
    pub fn is_on(&self) -> bool {
        self.count > 0
    }
    /// The period in milliseconds.
    pub fn period_ms(&self) -> u64 {
        self.period_seconds.max(1).saturating_mul(1000)
    }
}

impl FromStr for Rate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") || s == "0" {
            return Ok(Rate::OFF);
        }
        let bad = || format!("{s:?}: expected COUNT/PERIOD (\"300/5m\") or \"off\"");
        let (count, period) = s.split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let period = period.trim();
        let (digits, unit) = match period.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
            Some((i, _)) => period.split_at(i),
            None => (period, "s"),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        let unit = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        let period_seconds = n.checked_mul(unit).ok_or_else(bad)?;
        if period_seconds == 0 {
            return Err(bad());
        }
        Ok(Rate::new(count, period_seconds))
    }
}

impl TryFrom<String> for Rate {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Rate> for String {
    fn from(r: Rate) -> String {
        r.to_string()
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.is_on() {
            return f.write_str("off");
        }
        let p = self.period_seconds;
        match p {
            _ if p.is_multiple_of(86_400) => write!(f, "{}/{}d", self.count, p / 86_400),
            _ if p.is_multiple_of(3600) => write!(f, "{}/{}h", self.count, p / 3600),
            _ if p.is_multiple_of(60) => write!(f, "{}/{}m", self.count, p / 60),
            _ => write!(f, "{}/{}s", self.count, p),
        }
    }
}

/// The rate limits (`[rate_limits]` in the configuration file). Each key is also an
/// environment variable `WOOLLY_RATE_LIMIT_<KEY>` (upper case); `WOOLLY_RATE_LIMITS=off`
/// turns them all off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Whether any limit applies (default on).
    pub enabled: bool,
    /// Client-API requests per token (Mastodon: 300 in 5 minutes).
    pub api_per_token: Rate,
    /// Client-API requests per signed-in account, all its tokens together (1,500 in 5
    /// minutes).
    pub api_per_account: Rate,
    /// Client-API requests without a token, per client address (300 in 5 minutes; IPv6 by
    /// /64).
    pub api_per_ip: Rate,
    /// Media uploads (`POST /api/v1/media`, `/api/v2/media`) per account (30 in 30 minutes).
    pub media_uploads: Rate,
    /// Deleted statuses and undone reblogs per account (30 in 30 minutes).
    pub deletes: Rate,
    /// New statuses per account (300 in 3 hours).
    pub statuses: Rate,
    /// Follows per account (400 in 24 hours).
    pub follows: Rate,
    /// Sign-ups (`POST /api/v1/accounts`) per client address (5 in 30 minutes).
    pub sign_ups: Rate,
    /// Failed sign-ins per client address (25 in 5 minutes); past it, that address's
    /// sign-ins are refused until the window ends.
    pub login_failures_per_ip: Rate,
    /// Failed sign-ins per account name (25 in an hour); past it, sign-ins to that account
    /// are refused until the window ends.
    pub login_failures_per_account: Rate,
    /// Deliveries accepted at the inboxes per remote host: a bucket of `count` that fills
    /// again at `count` per period (default 3,000 per minute: a burst of 3,000, then 50 a
    /// second). Mastodon has no such limit; this one only answers `429` past a flood.
    pub inbox_per_host: Rate,
    /// How many clients (tokens, accounts, addresses, hosts) each limit keeps track of at
    /// most; past it the expired ones are dropped first, then the least used.
    pub max_tracked: usize,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            enabled: true,
            api_per_token: Rate::new(300, 300),
            api_per_account: Rate::new(1500, 300),
            api_per_ip: Rate::new(300, 300),
            media_uploads: Rate::new(30, 1800),
            deletes: Rate::new(30, 1800),
            statuses: Rate::new(300, 3 * 3600),
            follows: Rate::new(400, 86_400),
            sign_ups: Rate::new(5, 1800),
            login_failures_per_ip: Rate::new(25, 300),
            login_failures_per_account: Rate::new(25, 3600),
            inbox_per_host: Rate::new(3000, 60),
            max_tracked: 100_000,
        }
    }
}

impl RateLimitConfig {
    /// Applies one environment variable whose name follows `WOOLLY_` (`RATE_LIMITS` or
    /// `RATE_LIMIT_<KEY>`); `Ok(false)` if the name is none of these.
    pub fn apply_env(&mut self, key: &str, value: &str) -> Result<bool, String> {
        if key == "RATE_LIMITS" {
            self.enabled = match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => return Err("on or off".into()),
            };
            return Ok(true);
        }
        let Some(name) = key.strip_prefix("RATE_LIMIT_") else {
            return Ok(false);
        };
        if name == "MAX_TRACKED" {
            self.max_tracked = value.trim().parse().map_err(|_| "a number".to_owned())?;
            return Ok(true);
        }
        let slot = match name {
            "API_PER_TOKEN" => &mut self.api_per_token,
            "API_PER_ACCOUNT" => &mut self.api_per_account,
            "API_PER_IP" => &mut self.api_per_ip,
            "MEDIA_UPLOADS" => &mut self.media_uploads,
            "DELETES" => &mut self.deletes,
            "STATUSES" => &mut self.statuses,
            "FOLLOWS" => &mut self.follows,
            "SIGN_UPS" => &mut self.sign_ups,
            "LOGIN_FAILURES_PER_IP" => &mut self.login_failures_per_ip,
            "LOGIN_FAILURES_PER_ACCOUNT" => &mut self.login_failures_per_account,
            "INBOX_PER_HOST" => &mut self.inbox_per_host,
            _ => return Ok(false),
        };
        *slot = value.parse()?;
        Ok(true)
    }

    /// Checks the values.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_tracked < 16 {
            return Err("rate_limits.max_tracked must be at least 16".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print() {
        assert_eq!("300/5m".parse::<Rate>(), Ok(Rate::new(300, 300)));
        assert_eq!("30/1800".parse::<Rate>(), Ok(Rate::new(30, 1800)));
        assert_eq!(" 400 / 24h ".parse::<Rate>(), Ok(Rate::new(400, 86_400)));
        assert_eq!("2/1d".parse::<Rate>(), Ok(Rate::new(2, 86_400)));
        assert_eq!("off".parse::<Rate>(), Ok(Rate::OFF));
        assert_eq!("0".parse::<Rate>(), Ok(Rate::OFF));
        for bad in [
            "",
            "300",
            "x/5m",
            "3/0",
            "3/5w",
            "3/m",
            "-1/5m",
            "3/99999999999999999d",
        ] {
            assert!(bad.parse::<Rate>().is_err(), "{bad:?}");
        }
        assert_eq!(Rate::new(300, 300).to_string(), "300/5m");
        assert_eq!(Rate::new(300, 10_800).to_string(), "300/3h");
        assert_eq!(Rate::new(7, 90).to_string(), "7/90s");
        assert_eq!(Rate::OFF.to_string(), "off");
    }

    #[test]
    fn the_table_and_the_environment_set_limits() {
        let c: RateLimitConfig =
            toml::from_str("api_per_token = \"5/1m\"\nenabled = true\ninbox_per_host = \"off\"")
                .expect("toml");
        assert_eq!(c.api_per_token, Rate::new(5, 60));
        assert!(!c.inbox_per_host.is_on());
        assert_eq!(c.statuses, Rate::new(300, 10_800));
        let mut d = RateLimitConfig::default();
        assert_eq!(d.apply_env("RATE_LIMIT_FOLLOWS", "10/1h"), Ok(true));
        assert_eq!(d.follows, Rate::new(10, 3600));
        assert_eq!(d.apply_env("RATE_LIMITS", "off"), Ok(true));
        assert!(!d.enabled);
        assert_eq!(d.apply_env("OTHER", "x"), Ok(false));
        assert!(d.apply_env("RATE_LIMIT_API_PER_IP", "lots").is_err());
        assert!(toml::from_str::<RateLimitConfig>("nope = 1").is_err());
    }
}
