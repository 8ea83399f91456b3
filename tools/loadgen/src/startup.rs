//! Start-up time: spawn `woolly serve`, time it until an endpoint answers, read its idle
//! memory, stop it by its PID.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::client::{get, Conn, Target};
use crate::error::{Error, Result};
use crate::rss::Memory;

/// How to start the server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StartupOptions {
    /// The `woolly` binary.
    pub woolly: PathBuf,
    /// Arguments after `woolly serve`.
    pub args: Vec<String>,
    /// Where it will answer.
    pub target: Target,
    /// The path polled (`/api/v1/instance`).
    pub path: String,
    /// The longest wait for the first answer.
    pub timeout: Duration,
    /// How long to let it idle before reading its memory.
    pub idle: Duration,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
}

impl StartupOptions {
    /// Defaults: poll `/api/v1/instance` for up to 120 s, idle 5 s.
    pub fn new(woolly: impl Into<PathBuf>, target: Target, log: impl Into<PathBuf>) -> Self {
        StartupOptions {
            woolly: woolly.into(),
            args: Vec::new(),
            target,
            path: "/api/v1/instance".into(),
            timeout: Duration::from_secs(120),
            idle: Duration::from_secs(5),
            log: log.into(),
        }
    }
}

/// What start-up measured.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StartupReport {
    /// The process id it ran as.
    pub pid: u32,
    /// From spawning to the first 2xx answer.
    pub first_response: Duration,
    /// Connection attempts made.
    pub attempts: u32,
    /// Memory right after the first answer.
    pub after_first: Memory,
    /// Memory after idling.
    pub idle: Memory,
    /// How it ended (exit status text).
    pub exit: String,
}

/// Starts the server, measures, and stops it (SIGTERM by PID, then SIGKILL after 20 s).
pub async fn measure(o: &StartupOptions) -> Result<StartupReport> {
    let log = std::fs::File::create(&o.log)?;
    let t0 = Instant::now();
    let mut child = Command::new(&o.woolly)
        .arg("serve")
        .args(&o.args)
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .spawn()?;
    let pid = child.id();
    let result = poll(o, t0, &mut child).await;
    let after_first = Memory::of_pid(pid).unwrap_or_default();
    if result.is_ok() {
        tokio::time::sleep(o.idle).await;
    }
    let idle = Memory::of_pid(pid).unwrap_or_default();
    let exit = stop(&mut child)?;
    let (first_response, attempts) = result?;
    Ok(StartupReport {
        pid,
        first_response,
        attempts,
        after_first,
        idle,
        exit,
    })
}

async fn poll(o: &StartupOptions, t0: Instant, child: &mut Child) -> Result<(Duration, u32)> {
    let mut attempts = 0;
    while t0.elapsed() < o.timeout {
        if let Some(status) = child.try_wait()? {
            return Err(Error::Unexpected(format!(
                "woolly exited before answering: {status} (see {})",
                o.log.display()
            )));
        }
        attempts += 1;
        if let Ok(mut c) = Conn::connect(o.target.addr, Duration::from_millis(500)).await {
            if let Ok((s, _)) = c.send(get(&o.target, &o.path, &[])?).await {
                if s.is_success() {
                    return Ok((t0.elapsed(), attempts));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Err(Error::Timeout(format!(
        "no 2xx from {} within {:?}",
        o.target.url(&o.path),
        o.timeout
    )))
}

/// Stops a child by its PID: SIGTERM, up to 20 s for a graceful exit, then SIGKILL.
pub fn stop(child: &mut Child) -> Result<String> {
    if let Some(s) = child.try_wait()? {
        return Ok(s.to_string());
    }
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Some(s) = child.try_wait()? {
            return Ok(s.to_string());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill()?;
    Ok(format!("{} (killed after 20 s)", child.wait()?))
}
