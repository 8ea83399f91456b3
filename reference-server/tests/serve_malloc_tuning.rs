//! `woolly serve` re-executes itself once with a fixed glibc mmap threshold
//! (`cli::malloc_tuning`), keeping its process id: the running server's environment (read
//! from `/proc`) holds the tunable; an operator's own tunables are kept and extended; an
//! operator's own threshold, or `WOOLLY_MALLOC_TUNING=off`, is left as it is.

#![cfg(all(target_os = "linux", target_env = "gnu"))]
#![allow(clippy::unwrap_used)]

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{poll, Woolly, WOOLLY};

fn serve(w: &Woolly, env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(WOOLLY);
    cmd.arg("serve")
        .arg("--config")
        .arg(&w.config)
        .env_remove("GLIBC_TUNABLES")
        .env_remove("WOOLLY_MALLOC_TUNING")
        .env_remove("WOOLLY_MALLOC_TUNED")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Waits (bounded) until the server answers, which it does only after the point where it
/// re-executes (or not), then reads its environment from `/proc`.
fn settled_environment(w: &Woolly, child: &mut Child) -> Vec<String> {
    let url = format!("{}/api/v1/instance", w.base);
    poll("the server answers", Duration::from_secs(60), || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("woolly serve exited early: {status}");
        }
        ureq::get(&url).call().ok().filter(|r| r.status() == 200)
    });
    let raw = std::fs::read(format!("/proc/{}/environ", child.id())).unwrap();
    raw.split(|b| *b == 0)
        .filter(|v| !v.is_empty())
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The value of `name` in an environment read from `/proc`. glibc splits `GLIBC_TUNABLES`
/// in place as it reads it (a NUL where each `:` was), so the tunables after the first show
/// as entries of their own (`glibc.…=…`) right after it: they are joined back.
fn var(env: &[String], name: &str) -> Option<String> {
    let i = env.iter().position(|v| v.split('=').next() == Some(name))?;
    let mut value = env[i][name.len() + 1..].to_owned();
    if name == "GLIBC_TUNABLES" {
        for more in env[i + 1..].iter().take_while(|v| v.starts_with("glibc.")) {
            value.push(':');
            value.push_str(more);
        }
    }
    Some(value)
}

#[test]
fn serve_runs_with_a_fixed_mmap_threshold() {
    let w = Woolly::prepare("T", "127.0.0.2");
    let mut child = serve(&w, &[]);
    let pid = child.id();
    let env = settled_environment(&w, &mut child);
    // The process that answered is the one started (exec keeps the id), re-executed.
    assert_eq!(child.id(), pid);
    assert!(child.try_wait().unwrap().is_none(), "still running");
    stop(child);
    assert_eq!(
        var(&env, "GLIBC_TUNABLES").as_deref(),
        Some("glibc.malloc.mmap_threshold=131072"),
        "{env:?}"
    );
    assert_eq!(
        var(&env, "WOOLLY_MALLOC_TUNED").as_deref(),
        Some("1"),
        "{env:?}"
    );
}

#[test]
fn operator_tunables_are_kept() {
    let w = Woolly::prepare("U", "127.0.0.2");
    let mut child = serve(&w, &[("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")]);
    let env = settled_environment(&w, &mut child);
    stop(child);
    assert_eq!(
        var(&env, "GLIBC_TUNABLES").as_deref(),
        Some("glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072"),
        "{env:?}"
    );

    let w = Woolly::prepare("V", "127.0.0.2");
    let mut child = serve(
        &w,
        &[("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536")],
    );
    let env = settled_environment(&w, &mut child);
    stop(child);
    assert_eq!(
        var(&env, "GLIBC_TUNABLES").as_deref(),
        Some("glibc.malloc.mmap_threshold=65536"),
        "{env:?}"
    );
    assert_eq!(
        var(&env, "WOOLLY_MALLOC_TUNED"),
        None,
        "not re-executed: {env:?}"
    );
}

#[test]
fn tuning_can_be_turned_off() {
    let w = Woolly::prepare("W", "127.0.0.2");
    let mut child = serve(&w, &[("WOOLLY_MALLOC_TUNING", "off")]);
    let env = settled_environment(&w, &mut child);
    stop(child);
    assert_eq!(var(&env, "GLIBC_TUNABLES"), None, "{env:?}");
    assert_eq!(var(&env, "WOOLLY_MALLOC_TUNED"), None, "{env:?}");
}
