//! Test support: a PostgreSQL database of its own for each test, on the server named by
//! `WOOLLY_TEST_DATABASE_URL`, or else on a private cluster started for the tests.
//!
//! [`TestDatabase::create`] makes a database `t_<random>` and hands out its URL. Without
//! `WOOLLY_TEST_DATABASE_URL` the databases live on a private cluster: the server binaries of
//! Debian's `postgresql` package (the newest version under `/usr/lib/postgresql/*/bin`, or
//! the directory named by `WOOLLY_TEST_PG_BIN`), `initdb` into a temporary directory (run as
//! the `postgres` user when the tests run as root, since `initdb` refuses root), listening
//! on 127.0.0.1 only, on a free port, with its socket in that directory. The cluster is
//! shared by the tests that run at the same time and stopped, by its PID, when the last of
//! them drops its database (SIGINT, then SIGKILL if it has not exited after 20 s); every
//! wait is bounded. A database made on an outside server is dropped when its
//! [`TestDatabase`] is.
//!
//! The private cluster runs with `fsync=off` (tests do not test PostgreSQL's own crash
//! safety); [`TestCluster::start`] with `durable = true` keeps the defaults, for benchmarks.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The environment variable naming an existing server to make test databases on.
pub const DATABASE_URL_VAR: &str = "WOOLLY_TEST_DATABASE_URL";

/// The environment variable naming the directory of the server binaries.
pub const PG_BIN_VAR: &str = "WOOLLY_TEST_PG_BIN";

/// A private PostgreSQL cluster in a temporary directory, stopped when dropped.
#[derive(Debug)]
pub struct TestCluster {
    pid: u32,
    port: u16,
    dir: tempfile::TempDir,
}

static SHARED: Mutex<Weak<TestCluster>> = Mutex::new(Weak::new());

fn run_bounded(cmd: &mut Command, timeout: Duration) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{shown}: {e}"))?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait().map_err(|e| format!("{shown}: {e}"))? {
            Some(_) => break,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{shown}: still running after {timeout:?}; killed"));
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{shown}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{shown} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The directory of the server binaries: `WOOLLY_TEST_PG_BIN`, or the newest Debian version.
pub fn server_bin_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(PG_BIN_VAR) {
        return Ok(PathBuf::from(dir));
    }
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| {
                    let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                    let bin = e.path().join("bin");
                    bin.join("initdb").exists().then_some((v, bin))
                })
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions.pop().map(|(_, b)| b).ok_or_else(|| {
        format!(
            "no PostgreSQL server binaries under {}: install Debian's `postgresql` package \
             (apt-get install postgresql), set {PG_BIN_VAR} to their directory, or set \
             {DATABASE_URL_VAR} to a server the tests may create databases on",
            root.display()
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `program` from `bin`, run as the `postgres` user when we are root.
fn server_command(bin: &Path, program: &str, as_postgres: bool) -> Command {
    if as_postgres {
        // runuser lives in /usr/sbin, which a minimal PATH may lack.
        let runuser = ["/usr/sbin/runuser", "/sbin/runuser"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("runuser");
        let mut c = Command::new(runuser);
        c.args(["-u", "postgres", "--"]).arg(bin.join(program));
        c
    } else {
        Command::new(bin.join(program))
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

impl TestCluster {
    /// Starts a cluster (blocking, up to about three minutes in all). `durable` keeps
    /// PostgreSQL's default `fsync`; otherwise it is off.
    pub fn start(durable: bool) -> Result<TestCluster, String> {
        let bin = server_bin_dir()?;
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("woolly-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        if as_postgres {
            run_bounded(
                Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(dir.path()),
                Duration::from_secs(10),
            )?;
        }
        let data = dir.path().join("data");
        run_bounded(
            server_command(&bin, "initdb", as_postgres)
                .arg("-D")
                .arg(&data)
                .args(["-U", "woolly", "-A", "trust", "-E", "UTF8", "--no-sync"]),
            Duration::from_secs(120),
        )?;
        let mut last_err = String::new();
        for _ in 0..3 {
            let port = free_port()?;
            let mut opts = format!(
                "-c listen_addresses=127.0.0.1 -p {port} -k {} -c max_connections=300",
                dir.path().display()
            );
            if !durable {
                opts.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            }
            let started = run_bounded(
                server_command(&bin, "pg_ctl", as_postgres)
                    .arg("-D")
                    .arg(&data)
                    .arg("-l")
                    .arg(dir.path().join("server.log"))
                    .args(["-w", "-t", "60", "-o", &opts, "start"]),
                Duration::from_secs(90),
            );
            match started {
                Ok(()) => {
                    let pid_file = std::fs::read_to_string(data.join("postmaster.pid"))
                        .map_err(|e| format!("postmaster.pid: {e}"))?;
                    let pid = pid_file
                        .lines()
                        .next()
                        .and_then(|l| l.trim().parse::<u32>().ok())
                        .ok_or("postmaster.pid has no PID")?;
                    return Ok(TestCluster { pid, port, dir });
                }
                // Most likely the port was taken between choosing and binding it.
                Err(e) => last_err = e,
            }
        }
        let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
        Err(format!("PostgreSQL did not start: {last_err}\n{log}"))
    }

    /// The cluster shared by the tests running now (started if none is).
    pub fn shared() -> Result<Arc<TestCluster>, String> {
        let mut slot = SHARED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = slot.upgrade() {
            return Ok(c);
        }
        let c = Arc::new(TestCluster::start(false)?);
        *slot = Arc::downgrade(&c);
        Ok(c)
    }

    /// The URL of database `db` on the cluster (plain TCP on loopback).
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://woolly@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    /// The server's PID.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    fn alive(&self) -> bool {
        Path::new(&format!("/proc/{}", self.pid)).exists()
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let pid = self.pid.to_string();
        // SIGINT: PostgreSQL's fast shutdown.
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if self.alive() {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while self.alive() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = &self.dir;
    }
}

/// A database of its own for one test.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    name: String,
    /// The server's admin URL, when the database is on an outside server (dropped at the end).
    outside: Option<String>,
    cluster: Option<Arc<TestCluster>>,
}

/// Replaces the database of a URL of the form `scheme://authority/db?params`.
fn with_database(url: &str, db: &str) -> Result<String, String> {
    let start = url
        .find("://")
        .ok_or("the database URL must be a postgres:// URL")?
        + 3;
    let path = url[start..].find('/').map(|i| start + i);
    let query = url.find('?');
    let (head, tail) = match (path, query) {
        (Some(p), Some(q)) if p < q => (&url[..p], &url[q..]),
        (Some(p), None) => (&url[..p], ""),
        (_, Some(q)) => (&url[..q], &url[q..]),
        (None, None) => (url, ""),
    };
    Ok(format!("{head}/{db}{tail}"))
}

async fn admin_execute(url: &str, sql: &str) -> Result<(), String> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("cannot connect to {url}: {e}"))?;
    let task = tokio::spawn(conn);
    let r = tokio::time::timeout(Duration::from_secs(60), client.batch_execute(sql))
        .await
        .map_err(|_| format!("{sql}: no answer within 60 s"))?
        .map_err(|e| format!("{sql}: {e}"));
    drop(client);
    let _ = task.await;
    r
}

impl TestDatabase {
    /// Creates an empty database (see the module documentation for where).
    pub async fn create() -> Result<TestDatabase, String> {
        use rand::Rng as _;
        let name = format!("t_{:016x}", rand::thread_rng().gen::<u64>());
        match std::env::var(DATABASE_URL_VAR) {
            Ok(base) if !base.is_empty() => {
                admin_execute(&base, &format!("CREATE DATABASE {name}")).await?;
                Ok(TestDatabase {
                    url: with_database(&base, &name)?,
                    name,
                    outside: Some(base),
                    cluster: None,
                })
            }
            _ => {
                let cluster = tokio::task::spawn_blocking(TestCluster::shared)
                    .await
                    .map_err(|e| e.to_string())??;
                admin_execute(&cluster.url("postgres"), &format!("CREATE DATABASE {name}")).await?;
                Ok(TestDatabase {
                    url: cluster.url(&name),
                    name,
                    outside: None,
                    cluster: Some(cluster),
                })
            }
        }
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The private cluster it is on, if it is on one.
    pub fn cluster(&self) -> Option<&Arc<TestCluster>> {
        self.cluster.as_ref()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // A private cluster goes away with its directory; on an outside server, drop the
        // database (on a thread of its own: this may run inside an async runtime).
        if let Some(base) = self.outside.take() {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            let done = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                rt.block_on(admin_execute(&base, &sql))
            })
            .join();
            if let Ok(Err(e)) = done {
                eprintln!("test database not dropped: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(
            with_database("postgres://u@h:5/x?sslmode=disable", "t_1").as_deref(),
            Ok("postgres://u@h:5/t_1?sslmode=disable")
        );
        assert_eq!(
            with_database("postgres://u@h:5", "t_1").as_deref(),
            Ok("postgres://u@h:5/t_1")
        );
        assert_eq!(
            with_database("postgresql://h/db", "t_2").as_deref(),
            Ok("postgresql://h/t_2")
        );
        assert!(with_database("host=h", "t").is_err());
    }
}
