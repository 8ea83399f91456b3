//! The server's configuration: defaults, then a TOML file, then `WOOLLY_*` environment
//! variables, then command-line flags (each later source wins).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Who may sign up through the client API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registrations {
    /// Anyone.
    Open,
    /// Anyone, giving a reason; the account waits for an admin's approval before it can sign
    /// in (an invite skips the wait).
    Approved,
    /// Nobody without an invite (accounts are made with `woolly account create`, or with an
    /// invite from `woolly admin invite`).
    Closed,
}

/// Where uploaded media files are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaBackend {
    /// Files under `<data_dir>/media` (the default).
    #[default]
    Fs,
    /// An S3-compatible bucket (the `s3_*` settings).
    S3,
}

/// A secret setting: its `Debug` form never shows it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "<redacted>"
        })
    }
}

/// The configuration. Every key can be set in the TOML file (same names), as an environment
/// variable `WOOLLY_<KEY>` (upper case), and the main ones as flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The public base URL (`https://wool.example`); default `http://localhost:8080`.
    pub base_url: String,
    /// The domain in handles (`@alice@domain`); default the base URL's host (and port).
    pub domain: Option<String>,
    /// Where to listen; default `127.0.0.1:8080`.
    pub bind: String,
    /// Where the data lives; default `./woolly-data`.
    pub data_dir: PathBuf,
    /// Sign-ups through the API: `open`, `approved` or `closed` (the default).
    pub registrations: Registrations,
    /// A message about sign-ups shown by apps (Mastodon's `closed_registrations_message`,
    /// plain text); unset by default.
    pub registrations_message: Option<String>,
    /// The longest status, in characters (default 500).
    pub max_characters: usize,
    /// Private networks outgoing requests may reach (CIDR), for local testing; empty by
    /// default (only public addresses).
    pub allow_private_address: Vec<String>,
    /// Refuse unsigned GETs of actors and objects with `401`, as Mastodon's secure mode.
    pub authorized_fetch: bool,
    /// Allow OAuth's `password` grant (the `toot` CLI uses it); off by default.
    pub password_grant: bool,
    /// The instance's title.
    pub title: String,
    /// The instance's contact e-mail.
    pub contact_email: String,
    /// The sled page cache, in MiB (default 16).
    pub cache_mb: u64,
    /// Keep received activities (the inbox queue) in an append-only journal beside sled
    /// rather than in sled's tree: a delivery costs one append and a shared `fdatasync`
    /// instead of four sled keys, and deduplication moves to the inbox runner. Off by default:
    /// its crash test lost a reported append once in CI (see ARCHITECTURE.md, the journal).
    pub inbox_journal: bool,
    /// sled's log segment size in KiB for a new data directory (default 2048; a directory
    /// keeps the size it was created with). Smaller segments are reclaimed sooner.
    pub sled_segment_kb: u64,
    /// A PEM file of extra CA certificates trusted for outgoing `https` (a private or test
    /// federation's own CA), beside the bundled web PKI roots and the system's trust store
    /// (which honours `SSL_CERT_FILE` / `SSL_CERT_DIR`). Unset by default.
    pub extra_ca: Option<PathBuf>,
    /// Where media files are kept: `fs` (default, `<data_dir>/media`) or `s3`.
    pub media_backend: MediaBackend,
    /// The S3 endpoint URL (`http://127.0.0.1:9000` for a local server); unset for AWS S3.
    pub s3_endpoint: Option<String>,
    /// The S3 bucket (required with `media_backend = "s3"`).
    pub s3_bucket: String,
    /// The S3 region (default `us-east-1`).
    pub s3_region: String,
    /// The S3 access key id (required with `media_backend = "s3"`).
    pub s3_access_key_id: String,
    /// The S3 secret access key (required with `media_backend = "s3"`).
    pub s3_secret_access_key: Secret,
    /// The base URL the bucket's objects are publicly served from, if they are (media URLs
    /// then point there); unset: the server serves media itself.
    pub s3_public_url: Option<String>,
    /// Allow a plain `http://` S3 endpoint (off by default).
    pub s3_allow_http: bool,
    /// A key prefix inside the bucket (to share a bucket); unset: the bucket's root.
    pub s3_prefix: Option<String>,
    /// How many days a cached copy of a remote file (attachment, avatar, header) is kept
    /// before the background cleanup deletes it (the post or account then shows the remote
    /// URL again); `0` keeps them. Default 7, the default of Mastodon's own cleanup command
    /// (`tootctl media remove --days`).
    pub media_cache_retention_days: u64,
    /// How far ahead a scheduled status must be, in seconds (`scheduled_at` sooner is refused
    /// with `422`). Default 300, Mastodon's five minutes; tests and small instances may
    /// lower it (0: any time not in the past).
    pub schedule_min_lead_seconds: u64,
    /// Reverse proxies (CIDRs) whose `X-Forwarded-For` names the client, for the rate limits
    /// per address; empty by default (the peer address is the client's). Behind a proxy on
    /// the same host, set `["127.0.0.1/32", "::1/128"]`.
    pub trusted_proxies: Vec<String>,
    /// The rate limits (the `[rate_limits]` table; Mastodon's defaults).
    pub rate_limits: crate::limits::RateLimitConfig,
    /// Allow-list (limited federation) mode: only domains allowed by an admin
    /// (`/api/v1/admin/domain_allows`, `woolly admin domain-allows`) are heard from or
    /// delivered to. Off by default.
    pub limited_federation: bool,
    /// Who sees `GET /api/v1/instance/domain_blocks`: `all`, `users` (signed in) or
    /// `disabled` (`404`; Mastodon's default).
    pub show_domain_blocks: Disclosure,
    /// Who sees the blocks' public comments there (same values; default `disabled`).
    pub show_domain_blocks_rationale: Disclosure,
    /// Whether `base_url` was given (by the file, `WOOLLY_BASE_URL` or `--base-url`) rather
    /// than left at its default. Not a configuration key: set while loading. Only a given
    /// base URL binds a data directory when an admin command opens it.
    #[serde(skip)]
    pub base_url_given: bool,
    /// Whether `domain` was given (by the file, `WOOLLY_DOMAIN` or `--domain`) rather than
    /// derived from the base URL. Not a configuration key: set while loading.
    #[serde(skip)]
    pub domain_given: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: "http://localhost:8080".into(),
            domain: None,
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./woolly-data"),
            registrations: Registrations::Closed,
            registrations_message: None,
            max_characters: 500,
            allow_private_address: Vec::new(),
            authorized_fetch: false,
            password_grant: false,
            title: "Woolly".into(),
            contact_email: String::new(),
            cache_mb: 16,
            inbox_journal: false,
            sled_segment_kb: 2048,
            extra_ca: None,
            media_backend: MediaBackend::Fs,
            s3_endpoint: None,
            s3_bucket: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: Secret::default(),
            s3_public_url: None,
            s3_allow_http: false,
            s3_prefix: None,
            media_cache_retention_days: 7,
            schedule_min_lead_seconds: 300,
            trusted_proxies: Vec::new(),
            rate_limits: crate::limits::RateLimitConfig::default(),
            limited_federation: false,
            show_domain_blocks: Disclosure::Disabled,
            show_domain_blocks_rationale: Disclosure::Disabled,
            base_url_given: false,
            domain_given: false,
        }
    }
}

/// Who may see something the instance can disclose (Mastodon's `show_domain_blocks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disclosure {
    /// Everyone.
    All,
    /// Signed-in users.
    Users,
    /// Nobody.
    Disabled,
}

impl Disclosure {
    /// Parses `all`, `users` or `disabled`.
    pub fn parse(s: &str) -> Option<Disclosure> {
        match s {
            "all" => Some(Disclosure::All),
            "users" => Some(Disclosure::Users),
            "disabled" => Some(Disclosure::Disabled),
            _ => None,
        }
    }
    /// Whether a viewer (signed in or not) may see it.
    pub fn shows(self, signed_in: bool) -> bool {
        match self {
            Disclosure::All => true,
            Disclosure::Users => signed_in,
            Disclosure::Disabled => false,
        }
    }
}

/// A configuration problem.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads a TOML file.
    pub fn from_toml_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        let mut config: Config =
            toml::from_str(&text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        // Which keys the file sets (it parsed as a Config, so it parses as a table).
        let keys: toml::Table = toml::from_str(&text).unwrap_or_default();
        config.base_url_given = keys.contains_key("base_url");
        config.domain_given = keys.contains_key("domain");
        Ok(config)
    }

    /// Uses `base_url` (a data directory's own) instead of a base URL that was not given; the
    /// domain follows it unless it was given. Validated.
    pub fn adopt_base_url(&mut self, base_url: &str) -> Result<(), ConfigError> {
        self.base_url = base_url.to_owned();
        if !self.domain_given {
            self.domain = None;
        }
        self.validate()
    }

    /// Applies `WOOLLY_*` environment variables (from `vars`, e.g. `std::env::vars()`).
    pub fn apply_env<I: IntoIterator<Item = (String, String)>>(
        &mut self,
        vars: I,
    ) -> Result<(), ConfigError> {
        for (k, v) in vars {
            let Some(key) = k.strip_prefix("WOOLLY_") else {
                continue;
            };
            let bad = |what: &str| ConfigError(format!("{k}={v:?}: {what}"));
            match key {
                "BASE_URL" => {
                    self.base_url = v;
                    self.base_url_given = true;
                }
                "DOMAIN" => {
                    self.domain = Some(v);
                    self.domain_given = true;
                }
                "BIND" => self.bind = v,
                "DATA_DIR" => self.data_dir = PathBuf::from(v),
                "REGISTRATIONS" => {
                    self.registrations = match v.as_str() {
                        "open" => Registrations::Open,
                        "approved" => Registrations::Approved,
                        "closed" => Registrations::Closed,
                        _ => return Err(bad("open, approved or closed")),
                    }
                }
                "REGISTRATIONS_MESSAGE" => {
                    self.registrations_message = Some(v).filter(|s| !s.is_empty())
                }
                "MAX_CHARACTERS" => self.max_characters = v.parse().map_err(|_| bad("a number"))?,
                "ALLOW_PRIVATE_ADDRESS" => {
                    self.allow_private_address = v
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                }
                "AUTHORIZED_FETCH" => {
                    self.authorized_fetch = parse_bool(&v).ok_or_else(|| bad("true or false"))?
                }
                "PASSWORD_GRANT" => {
                    self.password_grant = parse_bool(&v).ok_or_else(|| bad("true or false"))?
                }
                "TITLE" => self.title = v,
                "CONTACT_EMAIL" => self.contact_email = v,
                "CACHE_MB" => self.cache_mb = v.parse().map_err(|_| bad("a number"))?,
                "SLED_SEGMENT_KB" => {
                    self.sled_segment_kb = v.parse().map_err(|_| bad("a number"))?
                }
                "INBOX_JOURNAL" => {
                    self.inbox_journal = parse_bool(&v).ok_or_else(|| bad("true or false"))?
                }
                "EXTRA_CA" => {
                    self.extra_ca = Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty())
                }
                "MEDIA_BACKEND" => {
                    self.media_backend = match v.as_str() {
                        "fs" => MediaBackend::Fs,
                        "s3" => MediaBackend::S3,
                        _ => return Err(bad("fs or s3")),
                    }
                }
                "S3_ENDPOINT" => self.s3_endpoint = Some(v).filter(|s| !s.is_empty()),
                "S3_BUCKET" => self.s3_bucket = v,
                "S3_REGION" => self.s3_region = v,
                "S3_ACCESS_KEY_ID" => self.s3_access_key_id = v,
                "S3_SECRET_ACCESS_KEY" => self.s3_secret_access_key = Secret(v),
                "S3_PUBLIC_URL" => self.s3_public_url = Some(v).filter(|s| !s.is_empty()),
                "S3_ALLOW_HTTP" => {
                    self.s3_allow_http = parse_bool(&v).ok_or_else(|| bad("true or false"))?
                }
                "S3_PREFIX" => self.s3_prefix = Some(v).filter(|s| !s.is_empty()),
                "MEDIA_CACHE_RETENTION_DAYS" => {
                    self.media_cache_retention_days =
                        v.parse().map_err(|_| bad("a number of days"))?
                }
                "SCHEDULE_MIN_LEAD_SECONDS" => {
                    self.schedule_min_lead_seconds =
                        v.parse().map_err(|_| bad("a number of seconds"))?
                }
                "LIMITED_FEDERATION" => {
                    self.limited_federation = parse_bool(&v).ok_or_else(|| bad("true or false"))?
                }
                "SHOW_DOMAIN_BLOCKS" => {
                    self.show_domain_blocks =
                        Disclosure::parse(&v).ok_or_else(|| bad("all, users or disabled"))?
                }
                "SHOW_DOMAIN_BLOCKS_RATIONALE" => {
                    self.show_domain_blocks_rationale =
                        Disclosure::parse(&v).ok_or_else(|| bad("all, users or disabled"))?
                }
                "TRUSTED_PROXIES" => {
                    self.trusted_proxies = v
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                }
                _ => {
                    self.rate_limits.apply_env(key, &v).map_err(|e| bad(&e))?;
                }
            }
        }
        Ok(())
    }

    /// Checks the values and fills in derived defaults (the domain).
    pub fn validate(&mut self) -> Result<(), ConfigError> {
        let url = url::Url::parse(&self.base_url)
            .map_err(|e| ConfigError(format!("base_url {:?}: {e}", self.base_url)))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(ConfigError(format!(
                "base_url {:?} must be an http(s) URL with a host",
                self.base_url
            )));
        }
        self.base_url = url.origin().ascii_serialization();
        if !self.sled_segment_kb.is_power_of_two() || self.sled_segment_kb > 16 * 1024 {
            return Err(ConfigError(format!(
                "sled_segment_kb {} must be a power of two from 1 to 16384",
                self.sled_segment_kb
            )));
        }
        if self.domain.is_none() {
            let host = url.host_str().unwrap_or_default();
            self.domain = Some(match url.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_owned(),
            });
        }
        self.bind
            .parse::<std::net::SocketAddr>()
            .map_err(|e| ConfigError(format!("bind {:?}: {e}", self.bind)))?;
        for cidr in &self.allow_private_address {
            activitypub_core::engine::IpNet::parse(cidr).map_err(|e| ConfigError(e.to_string()))?;
        }
        for cidr in &self.trusted_proxies {
            activitypub_core::engine::IpNet::parse(cidr)
                .map_err(|e| ConfigError(format!("trusted_proxies: {e}")))?;
        }
        self.rate_limits.validate().map_err(ConfigError)?;
        if self.max_characters == 0 {
            return Err(ConfigError("max_characters must be at least 1".into()));
        }
        if self.media_backend == MediaBackend::S3 {
            for (key, value) in [
                ("s3_bucket", &self.s3_bucket),
                ("s3_region", &self.s3_region),
                ("s3_access_key_id", &self.s3_access_key_id),
                ("s3_secret_access_key", &self.s3_secret_access_key.0),
            ] {
                if value.is_empty() {
                    return Err(ConfigError(format!(
                        "{key} is required with media_backend = \"s3\""
                    )));
                }
            }
        }
        Ok(())
    }

    /// Whether an IRI is on this server.
    pub fn is_local_iri(&self, iri: &str) -> bool {
        match (url::Url::parse(iri), url::Url::parse(&self.base_url)) {
            (Ok(a), Ok(b)) => a.origin() == b.origin(),
            _ => false,
        }
    }

    /// The handle domain.
    pub fn domain(&self) -> &str {
        self.domain.as_deref().unwrap_or("localhost")
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_layer_in_order() {
        let mut c: Config = toml::from_str(
            "base_url = \"https://wool.example\"\nmax_characters = 1000\nbind = \"127.0.0.1:9000\"",
        )
        .expect("toml");
        c.apply_env([
            ("WOOLLY_BIND".to_owned(), "127.0.0.2:9001".to_owned()),
            (
                "WOOLLY_ALLOW_PRIVATE_ADDRESS".to_owned(),
                "127.0.0.0/8, ::1/128".to_owned(),
            ),
            ("OTHER".to_owned(), "x".to_owned()),
        ])
        .expect("env");
        c.validate().expect("valid");
        assert_eq!(c.max_characters, 1000);
        assert_eq!(c.bind, "127.0.0.2:9001");
        assert_eq!(c.allow_private_address, ["127.0.0.0/8", "::1/128"]);
        assert_eq!(c.domain(), "wool.example");
        let mut d = Config::default();
        d.validate().expect("defaults are valid");
        assert_eq!(d.domain(), "localhost:8080");
    }

    #[test]
    fn rate_limits_and_trusted_proxies_come_from_the_file_and_the_environment() {
        use crate::limits::Rate;
        let mut c: Config = toml::from_str(
            "trusted_proxies = [\"127.0.0.1/32\"]\n[rate_limits]\napi_per_token = \"10/1m\"",
        )
        .expect("toml");
        c.apply_env([
            ("WOOLLY_RATE_LIMIT_STATUSES".to_owned(), "5/1h".to_owned()),
            (
                "WOOLLY_TRUSTED_PROXIES".to_owned(),
                "10.0.0.0/8, ::1/128".to_owned(),
            ),
        ])
        .expect("env");
        c.validate().expect("valid");
        assert_eq!(c.rate_limits.api_per_token, Rate::new(10, 60));
        assert_eq!(c.rate_limits.statuses, Rate::new(5, 3600));
        assert_eq!(
            c.rate_limits.follows,
            Rate::new(400, 86_400),
            "Mastodon's default"
        );
        assert_eq!(c.trusted_proxies, ["10.0.0.0/8", "::1/128"]);
        let mut bad = Config::default();
        let e = bad
            .apply_env([("WOOLLY_RATE_LIMIT_FOLLOWS".to_owned(), "many".to_owned())])
            .expect_err("not a rate");
        assert!(e.0.contains("WOOLLY_RATE_LIMIT_FOLLOWS"), "{e}");
        bad.trusted_proxies = vec!["not a cidr".into()];
        assert!(bad.validate().is_err());
        assert!(toml::from_str::<Config>("[rate_limits]\napi_per_token = \"lots\"").is_err());
    }

    #[test]
    fn registration_modes_come_from_the_file_and_the_environment() {
        let c: Config = toml::from_str("registrations = \"approved\"").expect("toml");
        assert_eq!(c.registrations, Registrations::Approved);
        assert_eq!(Config::default().registrations, Registrations::Closed);
        for (v, mode) in [
            ("open", Registrations::Open),
            ("approved", Registrations::Approved),
            ("closed", Registrations::Closed),
        ] {
            let mut c = Config::default();
            c.apply_env([
                ("WOOLLY_REGISTRATIONS".to_owned(), v.to_owned()),
                (
                    "WOOLLY_REGISTRATIONS_MESSAGE".to_owned(),
                    "Ask us".to_owned(),
                ),
            ])
            .expect("env");
            assert_eq!(c.registrations, mode);
            assert_eq!(c.registrations_message.as_deref(), Some("Ask us"));
        }
        let mut c = Config::default();
        assert!(c
            .apply_env([("WOOLLY_REGISTRATIONS".to_owned(), "sometimes".to_owned())])
            .is_err());
    }

    #[test]
    fn media_settings_come_from_the_file_and_the_environment() {
        let mut d = Config::default();
        d.validate().expect("valid");
        assert_eq!(d.media_backend, MediaBackend::Fs);
        assert_eq!(d.s3_region, "us-east-1");

        let mut c: Config = toml::from_str(
            "media_backend = \"s3\"\ns3_endpoint = \"http://127.0.0.1:9000\"\n\
             s3_bucket = \"media\"\ns3_access_key_id = \"AK\"\n\
             s3_secret_access_key = \"from-file\"\ns3_allow_http = true\n\
             s3_prefix = \"woolly\"",
        )
        .expect("toml");
        c.apply_env([
            ("WOOLLY_S3_BUCKET".to_owned(), "other-bucket".to_owned()),
            ("WOOLLY_S3_REGION".to_owned(), "eu-west-1".to_owned()),
            (
                "WOOLLY_S3_SECRET_ACCESS_KEY".to_owned(),
                "from-env".to_owned(),
            ),
            (
                "WOOLLY_S3_PUBLIC_URL".to_owned(),
                "https://files.wool.example".to_owned(),
            ),
        ])
        .expect("env");
        c.validate().expect("valid");
        assert_eq!(c.media_backend, MediaBackend::S3);
        assert_eq!(c.s3_endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(c.s3_bucket, "other-bucket");
        assert_eq!(c.s3_region, "eu-west-1");
        assert_eq!(c.s3_access_key_id, "AK");
        assert_eq!(c.s3_secret_access_key.0, "from-env");
        assert_eq!(
            c.s3_public_url.as_deref(),
            Some("https://files.wool.example")
        );
        assert!(c.s3_allow_http);
        assert_eq!(c.s3_prefix.as_deref(), Some("woolly"));
        assert!(
            !format!("{c:?}").contains("from-env"),
            "the secret is not printed"
        );

        let mut e = Config::default();
        e.apply_env([
            ("WOOLLY_MEDIA_BACKEND".to_owned(), "s3".to_owned()),
            (
                "WOOLLY_S3_ENDPOINT".to_owned(),
                "https://s3.example".to_owned(),
            ),
            ("WOOLLY_S3_BUCKET".to_owned(), "b".to_owned()),
            ("WOOLLY_S3_ACCESS_KEY_ID".to_owned(), "AK".to_owned()),
            ("WOOLLY_S3_SECRET_ACCESS_KEY".to_owned(), "SK".to_owned()),
            ("WOOLLY_S3_ALLOW_HTTP".to_owned(), "no".to_owned()),
        ])
        .expect("env");
        e.validate().expect("valid");
        assert_eq!(e.media_backend, MediaBackend::S3);
        assert_eq!(e.s3_endpoint.as_deref(), Some("https://s3.example"));
        assert!(!e.s3_allow_http);
    }

    #[test]
    fn bad_media_settings_are_refused() {
        let mut c = Config::default();
        assert!(c
            .apply_env([("WOOLLY_MEDIA_BACKEND".to_owned(), "ftp".to_owned())])
            .is_err());
        assert!(c
            .apply_env([("WOOLLY_S3_ALLOW_HTTP".to_owned(), "maybe".to_owned())])
            .is_err());
        assert!(toml::from_str::<Config>("media_backend = \"nfs\"").is_err());
        // S3 without its required settings.
        let mut c = Config {
            media_backend: MediaBackend::S3,
            s3_bucket: "media".into(),
            s3_access_key_id: "AK".into(),
            ..Config::default()
        };
        let err = c.validate().expect_err("incomplete");
        assert!(err.0.contains("s3_secret_access_key"), "{err}");
        c.s3_secret_access_key = Secret("SK".into());
        c.validate().expect("complete");
    }

    #[test]
    fn media_cache_retention_reads_from_file_and_env() {
        assert_eq!(Config::default().media_cache_retention_days, 7);
        let mut c: Config = toml::from_str("media_cache_retention_days = 30").expect("toml");
        assert_eq!(c.media_cache_retention_days, 30);
        c.apply_env([(
            "WOOLLY_MEDIA_CACHE_RETENTION_DAYS".to_owned(),
            "0".to_owned(),
        )])
        .expect("env");
        assert_eq!(c.media_cache_retention_days, 0);
        assert!(c
            .apply_env([(
                "WOOLLY_MEDIA_CACHE_RETENTION_DAYS".to_owned(),
                "a week".to_owned()
            )])
            .is_err());
    }

    #[test]
    fn schedule_min_lead_reads_from_file_and_env() {
        assert_eq!(Config::default().schedule_min_lead_seconds, 300);
        let mut c: Config = toml::from_str("schedule_min_lead_seconds = 10").expect("toml");
        assert_eq!(c.schedule_min_lead_seconds, 10);
        c.apply_env([(
            "WOOLLY_SCHEDULE_MIN_LEAD_SECONDS".to_owned(),
            "0".to_owned(),
        )])
        .expect("env");
        assert_eq!(c.schedule_min_lead_seconds, 0);
        assert!(c
            .apply_env([(
                "WOOLLY_SCHEDULE_MIN_LEAD_SECONDS".to_owned(),
                "soon".to_owned()
            )])
            .is_err());
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(toml::from_str::<Config>("nonsense = 1").is_err());
        let mut c = Config::default();
        assert!(c
            .apply_env([("WOOLLY_MAX_CHARACTERS".to_owned(), "lots".to_owned())])
            .is_err());
        let mut c = Config {
            allow_private_address: vec!["10.0.0.0/99".into()],
            ..Config::default()
        };
        assert!(c.validate().is_err());
        let mut c = Config {
            base_url: "ftp://x".into(),
            ..Config::default()
        };
        assert!(c.validate().is_err());
    }
}
