//! A real Unleash (8.2.0, on Node.js 22) with its own Postgres, both on loopback ports with
//! temporary storage, for the tests that drive Unleash's admin API. What they need is
//! installed on first use by `scripts/unleash-deps.sh` (npm packages into a cache under
//! target/, Postgres from Debian); if that fails the test fails, it never skips.
//!
//! Each server runs in a process group of its own, killed on drop. Postgres refuses to run
//! as root, so as root it runs as the `postgres` user (through `runuser`).
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use super::{free_port, get_status, tail};

/// The admin API token Unleash is started with (`INIT_ADMIN_API_TOKENS`): project `*`,
/// environment `*`. Sent whole as the `Authorization` header.
pub const ADMIN_TOKEN: &str = "*:*.warroom-test-admin-secret";

/// How long Postgres may take to accept connections.
const PG_WITHIN: Duration = Duration::from_secs(30);
/// How long Unleash may take to answer `/health` (its migrations run on a fresh database:
/// 6–8 s alone, more on a busy machine).
const UNLEASH_WITHIN: Duration = Duration::from_secs(120);

/// Where the install put what the harness runs.
struct Paths {
    node: PathBuf,
    server: PathBuf,
    pgbin: PathBuf,
}

/// Runs the install script once per test process (the script itself takes a lock for every
/// process) and reads the paths it prints.
fn paths() -> &'static Paths {
    static PATHS: OnceLock<Paths> = OnceLock::new();
    PATHS.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/unleash-deps.sh");
        let out = Command::new(&script)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{} failed ({}):\n{}{}",
            script.display(),
            out.status,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
        let get = |key: &str| {
            let value = stdout
                .lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix('='));
            PathBuf::from(
                value
                    .unwrap_or_else(|| panic!("{} printed no {key}=:\n{stdout}", script.display())),
            )
        };
        Paths {
            node: get("NODE"),
            server: get("UNLEASH"),
            pgbin: get("PGBIN"),
        }
    })
}

/// Whether this process runs as root (the owner of `/proc/self` is the process's user).
fn root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `bin args…`, as the `postgres` user when run as root.
fn as_postgres(bin: &Path) -> Command {
    if root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

/// Sends `signal` to the process group `pgid` (a child started with `process_group(0)`).
fn signal_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args(["-s", signal, "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Waits up to `within` for `child` to exit; true if it did.
fn wait_for_exit(child: &mut Child, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if child.try_wait().ok().flatten().is_some() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A Postgres on loopback with the database `unleash`; stopped on drop.
struct Database {
    pg: Child,
    port: u16,
    /// Its data and socket, and the logs of every Unleash on it.
    dir: tempfile::TempDir,
}

impl Drop for Database {
    fn drop(&mut self) {
        // A fast shutdown (SIGINT to the postmaster) releases its shared memory; a kill only
        // if it does not end in time.
        signal_group(self.pg.id(), "INT");
        if !wait_for_exit(&mut self.pg, Duration::from_secs(5)) {
            signal_group(self.pg.id(), "KILL");
            let _ = self.pg.wait();
        }
    }
}

/// An Unleash on loopback and its Postgres: Unleash's process group is killed on drop, and
/// Postgres's when the last Unleash on it is gone.
pub struct UnleashServer {
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    pub port: u16,
    unleash: Option<Child>,
    log: PathBuf,
    db: Arc<Database>,
}

impl UnleashServer {
    /// The temporary directory with the database and the logs.
    pub fn dir(&self) -> &Path {
        self.db.dir.path()
    }

    /// Kills Unleash outright, as a crash would (Postgres stays up).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.unleash.take() {
            signal_group(c.id(), "KILL");
            let _ = c.wait();
        }
    }

    /// Stops Unleash without ending it (SIGSTOP): connections are taken, nothing answers.
    pub fn freeze(&self) {
        if let Some(c) = &self.unleash {
            signal_group(c.id(), "STOP");
        }
    }

    /// The end of Unleash's log, for a failure message.
    pub fn log(&self) -> String {
        tail(&self.log)
    }
}

impl Drop for UnleashServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One Unleash shared by the tests of a process that run at the same time and neither kill
/// nor freeze it (each uses flags and users of its own): started by the first, stopped when
/// the last one's handle is dropped, started again by a test that comes after that.
pub fn shared_unleash() -> Arc<UnleashServer> {
    static SHARED: Mutex<Weak<UnleashServer>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(s) = shared.upgrade() {
        return s;
    }
    let s = Arc::new(start_unleash());
    *shared = Arc::downgrade(&s);
    s
}

/// Starts Postgres and Unleash (see the module's doc), ready to answer.
pub fn start_unleash() -> UnleashServer {
    start_on(Arc::new(start_database()))
}

/// Another Unleash on the same database as `other` (Unleash runs as several instances on one
/// database): it finds the migrations done, so it starts sooner, and what one changes the
/// other reads. It can be frozen or killed alone.
pub fn start_unleash_beside(other: &UnleashServer) -> UnleashServer {
    start_on(other.db.clone())
}

fn start_database() -> Database {
    let p = paths();
    let dir = tempfile::tempdir().unwrap();
    if root() {
        let ok = Command::new("chown")
            .arg("postgres:postgres")
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(
            ok.success(),
            "chown postgres {}: {ok}",
            dir.path().display()
        );
    }
    init_db(&p.pgbin, dir.path());
    let (pg, port) = start_postgres(&p.pgbin, dir.path());
    Database { pg, port, dir }
}

/// Unleash on a free loopback port, tried again on another if the first was taken.
fn start_on(db: Arc<Database>) -> UnleashServer {
    let p = paths();
    for _attempt in 0..3 {
        let port = free_port();
        let log = db.dir.path().join(format!("unleash-{port}.log"));
        let mut child = spawn_unleash(p, db.dir.path(), &log, db.port, port);
        match wait_unleash(&mut child, port, &log) {
            Ok(()) => {
                return UnleashServer {
                    url: format!("http://127.0.0.1:{port}/"),
                    port,
                    unleash: Some(child),
                    log,
                    db,
                }
            }
            Err(taken) => {
                signal_group(child.id(), "KILL");
                let _ = child.wait();
                assert!(
                    taken,
                    "Unleash did not become ready; its log ends:\n{}",
                    tail(&log)
                );
            }
        }
    }
    panic!("Unleash: the loopback port was taken before it could bind, three times");
}

/// `initdb` into `dir/data`: trust authentication, superuser `postgres`.
fn init_db(pgbin: &Path, dir: &Path) {
    let out = as_postgres(&pgbin.join("initdb"))
        .arg("-D")
        .arg(dir.join("data"))
        .args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "initdb failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The postmaster on a free loopback port (its socket in `dir`), with the database
/// `unleash` created; tried again on another port if the first was taken.
fn start_postgres(pgbin: &Path, dir: &Path) -> (Child, u16) {
    let log_path = dir.join("postgres.log");
    for _attempt in 0..3 {
        let port = free_port();
        let log = File::create(&log_path).unwrap();
        let mut child = as_postgres(&pgbin.join("postgres"))
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-c", "listen_addresses=127.0.0.1", "-p", &port.to_string()])
            .arg("-k")
            .arg(dir)
            // Throw-away data: no need to survive a power cut.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start postgres: {e}"));
        let deadline = Instant::now() + PG_WITHIN;
        loop {
            if child.try_wait().unwrap().is_some() {
                let log = tail(&log_path);
                assert!(
                    log.contains("already in use"),
                    "postgres exited before it was ready; its log ends:\n{log}"
                );
                break;
            }
            let created = Command::new(pgbin.join("psql"))
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
                .args(["-d", "postgres", "-q", "-c", "CREATE DATABASE unleash"])
                .env("PGCONNECT_TIMEOUT", "2")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            if created.success() {
                return (child, port);
            }
            if Instant::now() >= deadline {
                signal_group(child.id(), "KILL");
                let _ = child.wait();
                panic!(
                    "postgres on 127.0.0.1:{port} took no connection within {PG_WITHIN:?}; \
                     its log ends:\n{}",
                    tail(&log_path)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    panic!("postgres: the loopback port was taken before it could bind, three times");
}

fn spawn_unleash(p: &Paths, dir: &Path, log: &Path, pg_port: u16, port: u16) -> Child {
    let log = File::create(log).unwrap();
    Command::new(&p.node)
        .arg(&p.server)
        .current_dir(dir)
        .env(
            "DATABASE_URL",
            format!("postgres://postgres@127.0.0.1:{pg_port}/unleash"),
        )
        .env("DATABASE_SSL", "false")
        .env("HTTP_HOST", "127.0.0.1")
        .env("HTTP_PORT", port.to_string())
        .env("UNLEASH_URL", format!("http://127.0.0.1:{port}"))
        .env("INIT_ADMIN_API_TOKENS", ADMIN_TOKEN)
        // No calls to the outside.
        .env("SEND_TELEMETRY", "false")
        .env("CHECK_VERSION", "false")
        .env("LOG_LEVEL", "warn")
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", p.node.display()))
}

/// Waits for `GET /health` to answer 200. `Err(true)`: the port was taken; `Err(false)`: it
/// exited or did not answer in time.
fn wait_unleash(child: &mut Child, port: u16, log: &Path) -> Result<(), bool> {
    let deadline = Instant::now() + UNLEASH_WITHIN;
    loop {
        if child.try_wait().unwrap().is_some() {
            return Err(tail(log).contains("EADDRINUSE"));
        }
        if get_status(port, "/health") == Some(200) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(false);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
