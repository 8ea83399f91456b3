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
    /// Nobody (accounts are made with `woolly account create`).
    Closed,
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
    /// Sign-ups through the API.
    pub registrations: Registrations,
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
    /// A PEM file of extra CA certificates trusted for outgoing `https` (a private or test
    /// federation's own CA), beside the bundled web PKI roots and the system's trust store
    /// (which honours `SSL_CERT_FILE` / `SSL_CERT_DIR`). Unset by default.
    pub extra_ca: Option<PathBuf>,
    /// How many days a cached copy of a remote file (attachment, avatar, header) is kept
    /// before the background cleanup deletes it (the post or account then shows the remote
    /// URL again); `0` keeps them. Default 7, the default of Mastodon's own cleanup command
    /// (`tootctl media remove --days`).
    pub media_cache_retention_days: u64,
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
            max_characters: 500,
            allow_private_address: Vec::new(),
            authorized_fetch: false,
            password_grant: false,
            title: "Woolly".into(),
            contact_email: String::new(),
            cache_mb: 16,
            extra_ca: None,
            media_cache_retention_days: 7,
            base_url_given: false,
            domain_given: false,
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
                        "closed" => Registrations::Closed,
                        _ => return Err(bad("open or closed")),
                    }
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
                "EXTRA_CA" => {
                    self.extra_ca = Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty())
                }
                "MEDIA_CACHE_RETENTION_DAYS" => {
                    self.media_cache_retention_days =
                        v.parse().map_err(|_| bad("a number of days"))?
                }
                _ => {}
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
        if self.max_characters == 0 {
            return Err(ConfigError("max_characters must be at least 1".into()));
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
