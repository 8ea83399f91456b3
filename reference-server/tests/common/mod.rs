//! The multi-process test harness: real `woolly serve` processes on loopback addresses,
//! driven through the Mastodon client API over HTTP.
//!
//! - Each [`Woolly`] has its own data directory (under Cargo's target tmp dir), its own
//!   configuration file, and a port picked free at preparation time. Accounts and tokens are
//!   made with the `woolly` CLI (before start, straight into the store; or while running,
//!   through the server's admin endpoint).
//! - [`Woolly::start`] waits (bounded) for the line containing `listening`.
//! - Every process is stopped by its PID: `SIGTERM`, a bounded wait, then `SIGKILL`; also on
//!   panic, by `Drop`.
//! - Deliveries are asynchronous: [`poll`] waits (bounded in count and time) for a state.

#![allow(clippy::unwrap_used, dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub mod media;

/// The binary under test.
pub const WOOLLY: &str = env!("CARGO_BIN_EXE_woolly");

/// How long a server may take to say `listening`.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a stopped server may take to exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one CLI command may take.
const CLI_TIMEOUT: Duration = Duration::from_secs(120);
/// Default bound for [`poll`].
pub const DELIVERY: Duration = Duration::from_secs(30);

/// The output of a finished command.
#[derive(Debug)]
pub struct Output {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs a command to completion, bounded in time; the child is killed by its PID on timeout.
pub fn run_bounded(mut cmd: Command, timeout: Duration) -> Output {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: does not start: {e}"));
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&e.join().unwrap()).into_owned(),
    }
}

/// A port free on `ip` right now.
pub fn free_port(ip: &str) -> u16 {
    let l = TcpListener::bind((ip, 0)).unwrap_or_else(|e| panic!("bind {ip}:0: {e}"));
    l.local_addr().unwrap().port()
}

/// Where scratch data goes (Cargo's per-package tmp dir).
pub fn scratch() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// One `woolly serve` instance (prepared, then started).
pub struct Woolly {
    /// A label for messages ("A", "B" …).
    pub label: String,
    /// The loopback address it listens on.
    pub ip: String,
    /// Its port.
    pub port: u16,
    /// `http://ip:port`.
    pub base: String,
    /// The handle domain, `ip:port`.
    pub domain: String,
    /// The configuration file (every CLI call gets `--config` with it).
    pub config: PathBuf,
    /// The data directory.
    pub data_dir: PathBuf,
    _dir: tempfile::TempDir,
    child: Option<Child>,
    log: Arc<Mutex<String>>,
}

impl Woolly {
    /// Prepares an instance on `ip` (a free port, a fresh data directory, a config file).
    pub fn prepare(label: &str, ip: &str) -> Woolly {
        Self::prepare_with(label, ip, free_port(ip), "")
    }

    /// [`Woolly::prepare`] with a fixed port and extra TOML lines.
    pub fn prepare_with(label: &str, ip: &str, port: u16, extra_toml: &str) -> Woolly {
        let dir = tempfile::Builder::new()
            .prefix(&format!("woolly-{label}-"))
            .tempdir_in(scratch())
            .unwrap();
        let data_dir = dir.path().join("data");
        let base = format!("http://{ip}:{port}");
        let config = dir.path().join("woolly.toml");
        let toml = format!(
            "base_url = \"{base}\"\nbind = \"{ip}:{port}\"\ndata_dir = \"{}\"\n\
             allow_private_address = [\"127.0.0.0/8\"]\n{extra_toml}\n",
            data_dir.display().to_string().replace('\\', "\\\\")
        );
        std::fs::write(&config, toml).unwrap();
        Woolly {
            label: label.to_owned(),
            ip: ip.to_owned(),
            port,
            domain: format!("{ip}:{port}"),
            base,
            config,
            data_dir,
            _dir: dir,
            child: None,
            log: Arc::new(Mutex::new(String::new())),
        }
    }

    /// Runs `woolly ARGS --config FILE`; panics unless it exits 0.
    pub fn cli(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(WOOLLY);
        cmd.args(args).arg("--config").arg(&self.config);
        let out = run_bounded(cmd, CLI_TIMEOUT);
        assert_eq!(
            out.code,
            0,
            "[{}] woolly {args:?} failed ({}):\nstdout: {}\nstderr: {}\nserver log tail:\n{}",
            self.label,
            out.code,
            out.stdout,
            out.stderr,
            self.log_tail()
        );
        out
    }

    /// `woolly account create NAME --password …` (`--locked` when asked).
    pub fn create_account(&self, name: &str, locked: bool) {
        let password = password_of(name);
        let mut args = vec!["account", "create", name, "--password", &password];
        if locked {
            args.push("--locked");
        }
        self.cli(&args);
    }

    /// `woolly token create NAME --scopes "read write follow push"`: the bearer token.
    pub fn create_token(&self, name: &str) -> String {
        let out = self.cli(&[
            "token",
            "create",
            name,
            "--scopes",
            "read write follow push",
        ]);
        let token = out
            .stdout
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or_default()
            .to_owned();
        assert!(
            !token.is_empty() && !token.contains(' '),
            "[{}] `woolly token create {name}` printed no token: {:?}",
            self.label,
            out.stdout
        );
        token
    }

    /// Starts `woolly serve --config FILE` and waits (bounded) for `listening`.
    pub fn start(&mut self) {
        self.start_with(&[]);
    }

    /// [`Woolly::start`] with extra flags for `woolly serve` (e.g. `--base-url`).
    pub fn start_with(&mut self, flags: &[&str]) {
        assert!(self.child.is_none(), "already started");
        let mut cmd = Command::new(WOOLLY);
        cmd.arg("serve")
            .arg("--config")
            .arg(&self.config)
            .args(flags)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "info");
        }
        // A restart on the same instance: only this run's `listening` line counts.
        let from = self.log().len();
        let mut child = cmd.spawn().expect("woolly serve starts");
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let log = self.log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    let mut l = log.lock().unwrap_or_else(|p| p.into_inner());
                    l.push_str(&line);
                    l.push('\n');
                }
            });
        }
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self
                .log()
                .get(from..)
                .is_some_and(|l| l.contains("listening"))
            {
                break;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                panic!(
                    "[{}] woolly serve exited before listening ({status}):\n{}",
                    self.label,
                    self.log()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "[{}] woolly serve did not print `listening` within {START_TIMEOUT:?}:\n{}",
                    self.label,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        // The socket answers.
        poll(
            &format!("[{}] TCP connect", self.label),
            START_TIMEOUT,
            || {
                std::net::TcpStream::connect((self.ip.as_str(), self.port))
                    .ok()
                    .map(|_| ())
            },
        );
    }

    /// Everything the server printed so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The last 60 lines of the server's output.
    pub fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    /// The PID of the running server.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops the server: SIGTERM to its PID, a bounded wait, SIGKILL if still running.
    /// Returns whether it exited on SIGTERM.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        if child.try_wait().ok().flatten().is_some() {
            return true;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// Sends `signal` (`"INT"`, `"TERM"` …) to the running server's PID.
    pub fn signal(&self, signal: &str) {
        let pid = self.pid().expect("the server runs");
        let ok = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "[{}] kill -{signal} {pid} failed", self.label);
    }

    /// Waits, at most `timeout`, for the server to exit (after [`Woolly::signal`]): its exit
    /// status. `None` if it still runs then: it is killed by its PID. Either way the instance
    /// is stopped afterwards (and can be started again on the same data directory).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let start = Instant::now();
        let rounds = timeout.as_millis() / 20 + 1;
        for _ in 0..rounds {
            if let Some(status) = child.try_wait().ok().flatten() {
                return Some(status);
            }
            if start.elapsed() > timeout {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// A Mastodon API client with `token`.
    pub fn api(&self, token: &str) -> Api {
        Api::new(&self.base, Some(token))
    }

    /// An anonymous client.
    pub fn anon(&self) -> Api {
        Api::new(&self.base, None)
    }

    /// `user@domain` of a local username.
    pub fn handle(&self, user: &str) -> String {
        format!("{user}@{}", self.domain)
    }

    /// The actor IRI of a local username.
    pub fn actor(&self, user: &str) -> String {
        format!("{}/users/{user}", self.base)
    }
}

impl Drop for Woolly {
    fn drop(&mut self) {
        let running = self.child.is_some();
        let clean = self.stop();
        if running && !clean {
            eprintln!("[{}] woolly serve needed SIGKILL", self.label);
        }
        if std::thread::panicking() && running {
            eprintln!(
                "----- [{}] {} server log (tail) -----\n{}\n-----",
                self.label,
                self.base,
                self.log_tail()
            );
        }
    }
}

/// The test password of an account.
pub fn password_of(name: &str) -> String {
    format!("correct horse battery staple {name}")
}

/// One instance of a [`cluster`]: a label, a loopback address, accounts (name, locked).
pub type ServerSpec<'a> = (&'a str, &'a str, &'a [(&'a str, bool)]);

/// Prepares instances on the given addresses, makes `accounts[i]` (name, locked) on instance
/// `i` with a token each, starts them all. Preparation runs in parallel threads.
pub fn cluster(spec: &[ServerSpec<'_>]) -> (Vec<Woolly>, Vec<Vec<String>>) {
    let handles: Vec<_> = spec
        .iter()
        .map(|(label, ip, accounts)| {
            let label = label.to_string();
            let ip = ip.to_string();
            let accounts: Vec<(String, bool)> =
                accounts.iter().map(|(n, l)| (n.to_string(), *l)).collect();
            std::thread::spawn(move || {
                let mut w = Woolly::prepare(&label, &ip);
                let mut tokens = Vec::new();
                for (name, locked) in &accounts {
                    w.create_account(name, *locked);
                    tokens.push(w.create_token(name));
                }
                w.start();
                (w, tokens)
            })
        })
        .collect();
    let mut servers = Vec::new();
    let mut tokens = Vec::new();
    let mut panic = None;
    for h in handles {
        match h.join() {
            Ok((w, t)) => {
                servers.push(w);
                tokens.push(t);
            }
            Err(e) => panic = Some(e),
        }
    }
    if let Some(e) = panic {
        drop(servers);
        std::panic::resume_unwind(e);
    }
    (servers, tokens)
}

/// Polls `f` every 100 ms until it returns `Some`, for at most `timeout`; panics with `what`.
pub fn poll<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    let max_rounds = (timeout.as_millis() / 100 + 1) as usize;
    for _ in 0..max_rounds {
        if let Some(v) = f() {
            return v;
        }
        if start.elapsed() > timeout {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {:?} waiting for: {what}", start.elapsed());
}

/// A response: status and body (JSON when it parses, else `Value::Null`).
#[derive(Debug, Clone)]
pub struct Resp {
    /// HTTP status.
    pub status: u16,
    /// The body as text.
    pub text: String,
    /// The body as JSON.
    pub json: Value,
    /// `Content-Type`.
    pub content_type: String,
    /// `Link`.
    pub link: Option<String>,
}

impl Resp {
    /// The JSON body; panics unless the status is 2xx.
    pub fn ok(self) -> Value {
        assert!(
            (200..300).contains(&self.status),
            "expected 2xx, got {}: {}",
            self.status,
            self.text
        );
        self.json
    }
}

/// A small blocking Mastodon API client.
#[derive(Clone)]
pub struct Api {
    /// Base URL.
    pub base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl Api {
    /// A client for `base`.
    pub fn new(base: &str, token: Option<&str>) -> Api {
        Api {
            base: base.trim_end_matches('/').to_owned(),
            token: token.map(str::to_owned),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(30))
                .redirects(0)
                .build(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    fn request(&self, method: &str, path: &str, query: &[(&str, &str)]) -> ureq::Request {
        let mut r = self.agent.request(method, &self.url(path));
        for (k, v) in query {
            r = r.query(k, v);
        }
        if let Some(t) = &self.token {
            r = r.set("Authorization", &format!("Bearer {t}"));
        }
        r
    }

    fn finish(what: String, r: Result<ureq::Response, ureq::Error>) -> Resp {
        let resp = match r {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{what}: transport error: {e}"),
        };
        let status = resp.status();
        let content_type = resp.header("content-type").unwrap_or_default().to_owned();
        let link = resp.header("link").map(str::to_owned);
        let text = resp.into_string().unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            text,
            json,
            content_type,
            link,
        }
    }

    /// GET with query parameters.
    pub fn get_q(&self, path: &str, query: &[(&str, &str)]) -> Resp {
        let what = format!("GET {}{path}", self.base);
        Self::finish(what, self.request("GET", path, query).call())
    }

    /// GET.
    pub fn get(&self, path: &str) -> Resp {
        self.get_q(path, &[])
    }

    /// POST a JSON body.
    pub fn post(&self, path: &str, body: Value) -> Resp {
        let what = format!("POST {}{path}", self.base);
        Self::finish(what, self.request("POST", path, &[]).send_json(body))
    }

    /// PUT a JSON body.
    pub fn put(&self, path: &str, body: Value) -> Resp {
        let what = format!("PUT {}{path}", self.base);
        Self::finish(what, self.request("PUT", path, &[]).send_json(body))
    }

    /// DELETE.
    pub fn delete(&self, path: &str) -> Resp {
        let what = format!("DELETE {}{path}", self.base);
        Self::finish(what, self.request("DELETE", path, &[]).call())
    }

    /// An unsigned ActivityPub GET (`Accept: application/activity+json`) of any URL.
    pub fn fetch_ap(&self, url: &str) -> Resp {
        let r = self
            .agent
            .get(url)
            .set("Accept", "application/activity+json")
            .call();
        Self::finish(format!("GET {url} (ActivityPub)"), r)
    }

    // --- Mastodon helpers ---------------------------------------------------------------

    /// `verify_credentials`.
    pub fn me(&self) -> Value {
        self.get("/api/v1/accounts/verify_credentials").ok()
    }

    /// Posts a status (`extra` merged into the body); returns the status.
    pub fn post_status(&self, text: &str, extra: Value) -> Value {
        let mut body = json!({ "status": text });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        self.post("/api/v1/statuses", body).ok()
    }

    /// Resolves `user@domain` through search with `resolve=true`; the account.
    pub fn resolve_account(&self, handle: &str) -> Value {
        let r = self
            .get_q(
                "/api/v2/search",
                &[
                    ("q", &format!("@{handle}")),
                    ("resolve", "true"),
                    ("type", "accounts"),
                ],
            )
            .ok();
        let accounts = r["accounts"].as_array().cloned().unwrap_or_default();
        accounts
            .into_iter()
            .find(|a| a["acct"].as_str() == Some(handle))
            .unwrap_or_else(|| panic!("{}: search did not resolve {handle}: {r}", self.base))
    }

    /// Resolves a status URL through search with `resolve=true`; `None` if not found.
    pub fn resolve_status(&self, url: &str) -> Option<Value> {
        let r = self.get_q(
            "/api/v2/search",
            &[("q", url), ("resolve", "true"), ("type", "statuses")],
        );
        assert_eq!(r.status, 200, "search {url}: {}", r.text);
        r.json["statuses"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["uri"].as_str() == Some(url)).cloned())
    }

    /// The relationship to account `id`.
    pub fn relationship(&self, id: &str) -> Value {
        let r = self
            .get_q("/api/v1/accounts/relationships", &[("id[]", id)])
            .ok();
        r.as_array()
            .and_then(|a| a.first().cloned())
            .unwrap_or_else(|| panic!("no relationship for {id}: {r}"))
    }

    /// A timeline page (path like `/api/v1/timelines/home`), up to 40 items.
    pub fn timeline(&self, path: &str) -> Vec<Value> {
        self.get_q(path, &[("limit", "40")])
            .ok()
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The home-timeline entry whose status (not a reblog wrapper) has `uri`.
    pub fn home_status(&self, uri: &str) -> Option<Value> {
        self.timeline("/api/v1/timelines/home")
            .into_iter()
            .find(|s| s["uri"].as_str() == Some(uri))
    }

    /// Notifications (up to 40).
    pub fn notifications(&self) -> Vec<Value> {
        self.get_q("/api/v1/notifications", &[("limit", "40")])
            .ok()
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The first notification of `kind` from account `acct` (optionally about status `uri`).
    pub fn notification(&self, kind: &str, acct: &str, uri: Option<&str>) -> Option<Value> {
        self.notifications().into_iter().find(|n| {
            n["type"] == kind
                && n["account"]["acct"].as_str() == Some(acct)
                && uri.is_none_or(|u| n["status"]["uri"].as_str() == Some(u))
        })
    }
}

/// Uris of a list of statuses.
pub fn uris(list: &[Value]) -> Vec<String> {
    list.iter()
        .filter_map(|s| s["uri"].as_str().map(str::to_owned))
        .collect()
}

/// The root of the workspace.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Strips tags from HTML, for content checks.
pub fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}
