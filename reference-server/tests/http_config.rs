//! `woolly serve` configuration: defaults < TOML file < `WOOLLY_*` environment < flags.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use reference_server::cli::serve::{load_config, ConfigArgs, ServeArgs};

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn sources_layer_defaults_file_env_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("woolly.toml");
    std::fs::write(
        &file,
        "base_url = \"https://wool.example\"\nbind = \"127.0.0.1:9000\"\nmax_characters = 1000\ndata_dir = \"/srv/file\"\n",
    )
    .unwrap();
    let mut args = ServeArgs {
        common: ConfigArgs {
            config: Some(file.clone()),
            data_dir: None,
        },
        ..ServeArgs::default()
    };
    // File only (defaults fill the rest; the domain comes from the base URL).
    let c = load_config(&args, env(&[])).unwrap();
    assert_eq!(c.base_url, "https://wool.example");
    assert_eq!(c.bind, "127.0.0.1:9000");
    assert_eq!(c.max_characters, 1000);
    assert_eq!(c.domain(), "wool.example");
    assert!(!c.authorized_fetch);
    // The environment wins over the file.
    let vars = env(&[
        ("WOOLLY_BIND", "127.0.0.2:9001"),
        ("WOOLLY_DATA_DIR", "/srv/env"),
        ("WOOLLY_AUTHORIZED_FETCH", "true"),
    ]);
    let c = load_config(&args, vars.clone()).unwrap();
    assert_eq!(c.bind, "127.0.0.2:9001");
    assert_eq!(c.data_dir, PathBuf::from("/srv/env"));
    assert!(c.authorized_fetch);
    // Flags win over both.
    args.bind = Some("127.0.0.3:9002".into());
    args.base_url = Some("http://127.0.0.3:9002".into());
    args.common.data_dir = Some(PathBuf::from("/srv/flag"));
    args.allow_private_address = vec!["127.0.0.0/8".into(), "::1/128".into()];
    let c = load_config(&args, vars).unwrap();
    assert_eq!(c.bind, "127.0.0.3:9002");
    assert_eq!(c.base_url, "http://127.0.0.3:9002");
    assert_eq!(c.domain(), "127.0.0.3:9002");
    assert_eq!(c.data_dir, PathBuf::from("/srv/flag"));
    assert_eq!(c.allow_private_address, ["127.0.0.0/8", "::1/128"]);
    assert_eq!(c.max_characters, 1000);
}

#[test]
fn invalid_values_are_refused() {
    let args = ServeArgs {
        bind: Some("not an address".into()),
        ..ServeArgs::default()
    };
    assert!(load_config(&args, env(&[])).is_err());
    let args = ServeArgs {
        allow_private_address: vec!["10.0.0.0/40".into()],
        ..ServeArgs::default()
    };
    assert!(load_config(&args, env(&[])).is_err());
    assert!(load_config(
        &ServeArgs::default(),
        env(&[("WOOLLY_AUTHORIZED_FETCH", "maybe")])
    )
    .is_err());
    let missing = ServeArgs {
        common: ConfigArgs {
            config: Some(PathBuf::from("does-not-exist.toml")),
            data_dir: None,
        },
        ..ServeArgs::default()
    };
    assert!(load_config(&missing, env(&[])).is_err());
    // Defaults are valid: 127.0.0.1:8080, http://localhost:8080, ./woolly-data.
    let c = load_config(&ServeArgs::default(), env(&[])).unwrap();
    assert_eq!(c.bind, "127.0.0.1:8080");
    assert_eq!(c.base_url, "http://localhost:8080");
    assert_eq!(c.data_dir, PathBuf::from("./woolly-data"));
}

#[test]
fn woolly_config_names_the_file_and_the_flag_wins() {
    let dir = tempfile::tempdir().unwrap();
    let by_env = dir.path().join("env.toml");
    std::fs::write(
        &by_env,
        "base_url = \"https://env.example\"\nmax_characters = 700\nbind = \"127.0.0.1:9100\"\n",
    )
    .unwrap();
    let by_flag = dir.path().join("flag.toml");
    std::fs::write(&by_flag, "base_url = \"https://flag.example\"\n").unwrap();
    let env_path = by_env.display().to_string();

    // WOOLLY_CONFIG alone: its file is read, and other variables still win over it.
    let c = load_config(
        &ServeArgs::default(),
        env(&[
            ("WOOLLY_CONFIG", &env_path),
            ("WOOLLY_BIND", "127.0.0.2:9200"),
        ]),
    )
    .unwrap();
    assert_eq!(c.base_url, "https://env.example");
    assert_eq!(c.max_characters, 700);
    assert_eq!(c.bind, "127.0.0.2:9200");
    assert_eq!(c.domain(), "env.example");

    // --config wins over WOOLLY_CONFIG: nothing of the variable's file is read.
    let args = ServeArgs {
        common: ConfigArgs {
            config: Some(by_flag),
            data_dir: None,
        },
        ..ServeArgs::default()
    };
    let c = load_config(&args, env(&[("WOOLLY_CONFIG", &env_path)])).unwrap();
    assert_eq!(c.base_url, "https://flag.example");
    assert_eq!(c.max_characters, 500);
    assert_eq!(c.bind, "127.0.0.1:8080");

    // Empty is unset; a missing file is an error naming it.
    let c = load_config(&ServeArgs::default(), env(&[("WOOLLY_CONFIG", "")])).unwrap();
    assert_eq!(c.base_url, "http://localhost:8080");
    let missing = dir.path().join("missing.toml").display().to_string();
    let err = load_config(&ServeArgs::default(), env(&[("WOOLLY_CONFIG", &missing)]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.toml"), "{err}");
}

/// The binary reads `WOOLLY_CONFIG` too: `woolly account list` opens the data directory the
/// file names (and creates the store there).
#[test]
fn the_binary_reads_woolly_config() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("from-env-config");
    let file = dir.path().join("woolly.toml");
    std::fs::write(
        &file,
        format!(
            "base_url = \"http://127.0.0.1:9\"\ndata_dir = \"{}\"\n",
            data.display().to_string().replace('\\', "\\\\")
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_woolly"))
        .args(["account", "list"])
        .current_dir(dir.path())
        .env("WOOLLY_CONFIG", &file)
        .env_remove("WOOLLY_DATA_DIR")
        .env_remove("WOOLLY_BASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(data.join("db").exists(), "the store is where the file says");
    assert!(!dir.path().join("woolly-data").exists());
}

/// Whether the base URL (and the domain) were given, by the file, the environment or a flag:
/// only a given base URL binds a data directory when an admin command opens it.
#[test]
fn base_url_and_domain_given_or_defaulted() {
    let c = load_config(&ServeArgs::default(), env(&[])).unwrap();
    assert!(!c.base_url_given && !c.domain_given);
    let dir = tempfile::tempdir().unwrap();
    let with = dir.path().join("with.toml");
    std::fs::write(&with, "base_url = \"http://localhost:8080\"\n").unwrap();
    let without = dir.path().join("without.toml");
    std::fs::write(&without, "max_characters = 600\n").unwrap();
    let file = |path: &std::path::Path| ServeArgs {
        common: ConfigArgs {
            config: Some(path.to_owned()),
            data_dir: None,
        },
        ..ServeArgs::default()
    };
    // Given in the file, even when it is the default value.
    let c = load_config(&file(&with), env(&[])).unwrap();
    assert!(c.base_url_given && !c.domain_given);
    let c = load_config(&file(&without), env(&[])).unwrap();
    assert!(!c.base_url_given);
    let c = load_config(
        &file(&without),
        env(&[("WOOLLY_BASE_URL", "https://wool.example")]),
    )
    .unwrap();
    assert!(c.base_url_given);
    let args = ServeArgs {
        base_url: Some("https://wool.example".into()),
        domain: Some("example.com".into()),
        ..ServeArgs::default()
    };
    let mut c = load_config(&args, env(&[])).unwrap();
    assert!(c.base_url_given && c.domain_given);

    // Adopting a data directory's base URL: the domain follows unless it was given.
    c.adopt_base_url("https://bound.example").unwrap();
    assert_eq!(c.domain(), "example.com");
    let mut c = load_config(&ServeArgs::default(), env(&[])).unwrap();
    c.adopt_base_url("http://127.0.0.1:3000").unwrap();
    assert_eq!(c.base_url, "http://127.0.0.1:3000");
    assert_eq!(c.domain(), "127.0.0.1:3000");
}
