//! `cargo xtask`: the project's automation.
//!
//! - `cargo xtask test`: installs the interop peers (Node packages under `interop/`), then runs
//!   every test of the workspace, once per crypto provider, and the conformance checks.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("interop-setup") => interop_setup(),
        _ => {
            eprintln!("usage: cargo xtask test | interop-setup");
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

/// Installs the Node packages the interop tests drive (`interop/package.json`, pinned by
/// `interop/package-lock.json`).
fn interop_setup() -> Result<(), String> {
    let dir = root().join("interop");
    if !dir.join("package.json").exists() {
        return Ok(());
    }
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund", "--prefix"]).arg(&dir);
    run(&mut npm)
}

fn test() -> Result<(), String> {
    interop_setup()?;
    run(Command::new("cargo").args(["test", "--workspace"]))?;
    Ok(())
}
