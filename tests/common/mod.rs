//! The harness shared by the tests that run real servers: Prometheus and Alertmanager from
//! their Debian packages, started on loopback ports with temporary storage and killed when
//! their guard is dropped. A missing binary is installed with apt-get; if that fails the test
//! fails (it never skips), so a run without the servers is red, not silently green.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod console;
pub mod crash;
pub mod unleash;

/// How long a server may take to answer `GET /-/ready` with 200.
pub const READY_WITHIN: Duration = Duration::from_secs(30);

/// The binary `bin` on the `PATH`, if there is one.
pub fn installed(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(bin))
            .find(|f| f.is_file())
    })
}

/// The binary, installing its Debian package if needed; panics when that is impossible.
///
/// Installs go through `scripts/test-deps.sh`, which takes one lock for every test process
/// and thread (so tests starting at once never fight over apt's and dpkg's locks) and logs
/// what apt printed to `target/test-deps.log`.
pub fn ensure(bin: &str, package: &str) -> PathBuf {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    if let Some(p) = installed(bin) {
        return p;
    }
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(p) = installed(bin) {
        return p;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-deps.sh");
    let out = Command::new(&script)
        .arg(package)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    installed(bin).unwrap_or_else(|| {
        panic!(
            "{bin} is missing and installing the Debian package {package} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running server: killed and waited for on drop, its temporary directory removed.
struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT/`, with the route prefix if there is one.
    url: String,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last lines of a server's log, for a failure message.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// The status code of `GET path` on a loopback port, or `None` when there is no answer.
fn get_status(port: u16, path: &str) -> Option<u16> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    // "HTTP/1.1 200"
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// The body of `GET path` on a loopback port, or `None` when there is no answer.
pub fn get_body(port: u16, path: &str) -> Option<String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    // One write: the control plane looks at the request's first packet.
    let request =
        format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    Some(text.split_once("\r\n\r\n")?.1.to_string())
}

/// Why a server did not become ready.
enum NotReady {
    /// The port was taken between [`free_port`] and the server's bind.
    PortTaken,
    Failed(String),
}

/// Waits until `GET <prefix>/-/ready` on `port` answers 200, the child exits, or
/// [`READY_WITHIN`] has passed.
fn wait_ready(
    name: &str,
    child: &mut Child,
    port: u16,
    prefix: &str,
    log: &Path,
) -> Result<(), NotReady> {
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            let log = tail(log);
            if log.contains("address already in use") {
                return Err(NotReady::PortTaken);
            }
            return Err(NotReady::Failed(format!(
                "{name} exited ({exit}) before it was ready; its log ends:\n{log}"
            )));
        }
        if get_status(port, &format!("{prefix}/-/ready")) == Some(200) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(NotReady::Failed(format!(
                "{name} on 127.0.0.1:{port} was not ready within {READY_WITHIN:?}; its log ends:\n{}",
                tail(log)
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts `bin` with the arguments `args(port)` on a fresh loopback port and waits until it is
/// ready. A start that fails because the port was taken in the meantime is tried again on
/// another port; any other failure panics with the end of the server's log.
fn start(
    name: &str,
    bin: &Path,
    dir: tempfile::TempDir,
    prefix: &str,
    args: &dyn Fn(u16) -> Vec<String>,
) -> Server {
    let log_path = dir.path().join(format!("{name}.log"));
    for _attempt in 0..3 {
        let port = free_port();
        let log = std::fs::File::create(&log_path).unwrap();
        let mut child = Command::new(bin)
            .args(args(port))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        match wait_ready(name, &mut child, port, prefix, &log_path) {
            Ok(()) => {
                return Server {
                    child,
                    url: format!("http://127.0.0.1:{port}{prefix}/"),
                    dir,
                }
            }
            Err(NotReady::PortTaken) => {
                let _ = child.wait();
            }
            Err(NotReady::Failed(why)) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{why}");
            }
        }
    }
    panic!("{name}: the loopback port was taken before it could bind, three times");
}

/// A Prometheus on a loopback port (see [`start_prometheus`]).
pub struct Prometheus {
    server: Server,
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
}

impl Prometheus {
    /// The temporary directory that holds its configuration, log and (by default) data.
    pub fn dir(&self) -> &Path {
        self.server.dir.path()
    }
}

/// Prometheus scraping `target` every second, with temporary storage.
pub fn start_prometheus(target: SocketAddr) -> Prometheus {
    start_prometheus_with(target, &[])
}

/// [`start_prometheus`] with extra arguments; a `--storage.tsdb.path=` among them replaces the
/// temporary one (e.g. to start again on the same data, with `--storage.tsdb.retention.time=`).
pub fn start_prometheus_with(target: SocketAddr, extra: &[String]) -> Prometheus {
    let bin = ensure("prometheus", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, format!("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: warroom\n    static_configs:\n      - targets: ['{target}']\n")).unwrap();
    let data = dir.path().join("data");
    let own_storage = extra.iter().any(|a| a.starts_with("--storage.tsdb.path"));
    let server = start("prometheus", &bin, dir, "", &|port| {
        let mut args = vec![
            format!("--config.file={}", config.display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ];
        if !own_storage {
            args.push(format!("--storage.tsdb.path={}", data.display()));
        }
        args.extend(extra.iter().cloned());
        args
    });
    Prometheus {
        url: server.url.clone(),
        server,
    }
}

/// An Alertmanager on a loopback port (see [`start_alertmanager`]).
pub struct Alertmanager {
    server: Server,
    /// `http://127.0.0.1:PORT/`, or `http://127.0.0.1:PORT/PREFIX/` under a route prefix.
    pub url: String,
}

/// Alertmanager with a single receiver that sends nothing, temporary storage and clustering
/// off (otherwise it binds 0.0.0.0:9094 and gossips with any other instance), ready to answer.
pub fn start_alertmanager() -> Alertmanager {
    start_alertmanager_under("")
}

/// [`start_alertmanager`] serving every endpoint under `prefix` (`/am`: `/am/api/v2/…`), as
/// behind a reverse proxy.
pub fn start_alertmanager_under(prefix: &str) -> Alertmanager {
    let bin = ensure("prometheus-alertmanager", "prometheus-alertmanager");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: nowhere\nreceivers:\n  - name: nowhere\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let server = start("alertmanager", &bin, dir, prefix, &|port| {
        let mut args = vec![
            format!("--config.file={}", config.display()),
            format!("--storage.path={}", data.display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--cluster.listen-address=".to_string(),
        ];
        if !prefix.is_empty() {
            args.push(format!("--web.route-prefix={prefix}"));
        }
        args
    });
    Alertmanager {
        url: server.url.clone(),
        server,
    }
}

/// `warroom serve` as a child process of its own, on `addr`, killed (like a crash: SIGKILL)
/// on drop or by [`Plane::kill`].
pub struct Plane {
    child: Child,
    pub addr: SocketAddr,
}

impl Plane {
    /// Starts `warroom serve --listen ADDR` with `args`, and waits until `/healthz` answers.
    pub fn start(addr: SocketAddr, args: &[&str]) -> Plane {
        Plane::start_with(addr, args, &[])
    }

    /// [`Plane::start`] with these environment variables.
    /// Its journal lives in a state home of its own address, so that a control plane
    /// started again on the same address goes on from it, and no two tests share one.
    pub fn start_with(addr: SocketAddr, args: &[&str], env: &[(&str, &str)]) -> Plane {
        let home = std::env::temp_dir().join(format!(
            "warroom-test-state-{}-{}",
            std::process::id(),
            addr.port()
        ));
        let child = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .env("XDG_STATE_HOME", &home)
            .envs(env.iter().copied())
            .arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("WARROOM_TEST_STDERR").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start warroom serve: {e}"));
        let mut plane = Plane { child, addr };
        let deadline = Instant::now() + Duration::from_secs(10);
        while get_status(addr.port(), "/healthz") != Some(200) {
            if let Some(exit) = plane.child.try_wait().unwrap() {
                panic!("warroom serve on {addr} exited ({exit}) before answering");
            }
            assert!(
                Instant::now() < deadline,
                "warroom serve on {addr} did not answer /healthz within 10 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        plane
    }

    /// Waits up to `secs` for it to exit by itself; its exit status.
    pub fn exited_within(&mut self, secs: u64) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Some(st) = self.child.try_wait().unwrap() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Kills it outright, as a crash would, and waits for it to be gone.
    pub fn kill(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `ws://ADDR`.
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }
}

impl Drop for Plane {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback address with a port that was free a moment ago.
pub fn free_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}

/// Serves `GET /metrics` on a loopback port with one gauge, `name`, at `value / 1000`, for a
/// Prometheus to scrape; the test moves the value. Runs until the runtime stops.
pub async fn serve_gauge(
    name: &'static str,
    value: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let v = value.load(std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf).await;
                #[allow(clippy::cast_precision_loss)]
                let body = format!("# TYPE {name} gauge\n{name} {}\n", v as f64 / 1000.0);
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    addr
}

/// A planned rollout conducted in this process, as `warroom serve --plan` conducts it: the
/// control plane on `addr` (port 0 for any) and its conducting tasks, both stopped on drop.
pub struct Conducted {
    pub plane: std::sync::Arc<warroom::server::net::ControlPlane>,
    /// `ws://ADDR`.
    pub url: String,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Conducted {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Serves and conducts `file` on `addr`.
pub async fn conduct(file: &warroom::config::plan_file::PlanFile, addr: SocketAddr) -> Conducted {
    use warroom::server::conducting::{self, Conducting};
    use warroom::server::net::{self, ControlPlane, Tokens};
    let (plane, work) = ControlPlane::planned(file, Tokens::default());
    let (addr, serving) = net::bind(addr, plane.clone()).await.unwrap();
    let with = Conducting::for_plan(file).unwrap();
    let tasks = vec![
        tokio::spawn(serving),
        tokio::spawn(conducting::run(plane.clone(), work, with)),
    ];
    Conducted {
        plane,
        url: format!("ws://{addr}"),
        tasks,
    }
}
