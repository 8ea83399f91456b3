//! `cargo xtask`: the project's automation.
//!
//! - `cargo xtask test` — the whole test suite, set-up included: installs the Debian packages
//!   the tests drive when they are missing (`ffmpeg` for the media tests, `postgresql`'s server
//!   binaries for `fedi-storage-postgres`, which starts a private cluster of its own; with
//!   `apt-get`, as root), the interop peers
//!   (the Node packages pinned in `interop/package-lock.json`), runs every test of the
//!   workspace (unit, doc, property, interop), runs the `http-sig` tests again with the
//!   `aws-lc-rs` provider, runs `woolly corpus check` over `../shared/corpus` when that folder
//!   is present, and gives each fuzz target a short, bounded run.
//! - `cargo xtask interop-setup` — only the Node install.
//! - `cargo xtask fuzz-smoke [SECONDS]` — only the bounded fuzz runs.
//!
//! Environment: `WOOLLY_SKIP_FUZZ=1` skips the fuzz runs (they need `cargo-fuzz`, which this
//! command installs from crates.io when it is missing).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The fuzz targets (see `fuzz/Cargo.toml`).
const FUZZ_TARGETS: &[&str] = &[
    "sig_cavage_header",
    "sig_rfc9421_headers",
    "sig_digest_header",
    "webfinger_resource",
    "webfinger_jrd",
    "vocab_document",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("interop-setup") => interop_setup(),
        Some("fuzz-smoke") => {
            let secs = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20);
            fuzz_smoke(secs)
        }
        _ => {
            eprintln!("usage: cargo xtask test | interop-setup | fuzz-smoke [SECONDS]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    // xtask/ lives directly under the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("xtask: running {cmd:?}");
    let status = cmd
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed: {status}"))
    }
}

/// Whether PostgreSQL's server binaries are installed as Debian installs them.
fn has_postgres_server() -> bool {
    std::fs::read_dir("/usr/lib/postgresql")
        .map(|versions| {
            versions
                .flatten()
                .any(|v| v.path().join("bin").join("initdb").is_file())
        })
        .unwrap_or(false)
}

/// Whether `program -version` runs.
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Installs, with `apt-get` and when running as root, the Debian packages the tests drive and
/// that are missing: `ffmpeg` (the media tests run it and `ffprobe`, as the server does) and
/// `postgresql` (its server binaries; the tests start a cluster of their own, not the
/// package's). Otherwise it says what is missing and goes on: those tests then fail saying so.
fn system_packages_setup() -> Result<(), String> {
    let mut missing = Vec::new();
    if !runs("ffmpeg") || !runs("ffprobe") {
        missing.push("ffmpeg");
    }
    if !has_postgres_server() {
        missing.push("postgresql");
    }
    if missing.is_empty() {
        return Ok(());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if !root || !runs_apt() {
        eprintln!(
            "xtask: missing Debian packages {missing:?}; install them (apt-get install {}) \
             or their tests fail",
            missing.join(" ")
        );
        return Ok(());
    }
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing))
}

/// Whether `apt-get` is there.
fn runs_apt() -> bool {
    Command::new("apt-get")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Installs the Node packages the interop tests drive.
fn interop_setup() -> Result<(), String> {
    let dir = root().join("interop");
    if !dir.join("package.json").exists() {
        return Ok(());
    }
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir))
}

/// Creates a Python virtual environment under `target/py-venv` with the packages the client
/// tests drive (`clients/requirements.txt`, pinned), and returns its interpreter.
fn clients_setup() -> Result<Option<PathBuf>, String> {
    let requirements = root().join("clients").join("requirements.txt");
    if !requirements.exists() {
        return Ok(None);
    }
    let venv = root().join("target").join("py-venv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&requirements))?;
    Ok(Some(python))
}

fn test() -> Result<(), String> {
    system_packages_setup()?;
    interop_setup()?;
    let python = clients_setup()?;
    let mut cargo_test = Command::new("cargo");
    cargo_test.args(["test", "--workspace"]);
    if let Some(p) = python {
        // The Mastodon.py client tests find their interpreter here.
        cargo_test.env("WOOLLY_PYTHON", p);
    }
    run(&mut cargo_test)?;
    run(Command::new("cargo").args(["test", "-p", "http-sig", "--features", "aws-lc-rs"]))?;
    corpus_check()?;
    if std::env::var_os("WOOLLY_SKIP_FUZZ").is_some() {
        eprintln!("xtask: WOOLLY_SKIP_FUZZ set, fuzz smoke runs skipped");
        Ok(())
    } else {
        fuzz_smoke(20)
    }
}

/// `woolly corpus check` over the shared corpus of real fediverse documents, when it sits
/// beside the checkout (as in CI).
fn corpus_check() -> Result<(), String> {
    let corpus = root().join("..").join("shared").join("corpus");
    if !corpus.is_dir() {
        eprintln!(
            "xtask: {} not found; corpus check skipped (CI has it)",
            corpus.display()
        );
        return Ok(());
    }
    run(Command::new("cargo")
        .args([
            "run",
            "--quiet",
            "-p",
            "reference-server",
            "--",
            "corpus",
            "check",
        ])
        .arg(&corpus))
}

/// A short, bounded run of every fuzz target with `cargo fuzz` on the stable toolchain.
fn fuzz_smoke(seconds: u32) -> Result<(), String> {
    let have_fuzz = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !have_fuzz {
        run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    let fuzz_dir = root().join("fuzz");
    for target in FUZZ_TARGETS {
        let seeds = fuzz_dir.join("seeds").join(target);
        let work = fuzz_dir.join("corpus").join(target);
        std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
        let mut cmd = Command::new("cargo");
        cmd.env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", "run", "--sanitizer", "none", "--fuzz-dir"])
            .arg(&fuzz_dir)
            .arg(target)
            .arg(&work);
        if seeds.is_dir() {
            cmd.arg(&seeds);
        }
        cmd.arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-rss_limit_mb=2048");
        run(&mut cmd)?;
    }
    Ok(())
}
