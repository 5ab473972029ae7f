//! The live path on loopback: a control plane and real consoles (`shell::ws_client::run`) over
//! real web sockets on 127.0.0.1, in one process.
//!
//! 1. **Keypress → command on the wire.** A commander console builds a note exactly as the
//!    screen does (`App::apply` of the keys `N`, the text, Enter) and hands it to the connection with
//!    `try_send`, as `shell::app` does. The clock starts when Enter returns and stops when
//!    the control plane has published the `command` record with that id (it publishes on
//!    receipt), seen by polling `ControlPlane::seq` / `log_since` from a spinning thread.
//!    That covers the channel, the socket write *and* the control plane's read and publish:
//!    an upper bound of "written to the socket". 300 commands. Requirement: p99 ≤ 10 ms.
//! 2. **Reconnect after a restart.** A control plane on a fixed loopback port; 20 times:
//!    abort its serving task, wait a seeded random 0.2–1.5 s, start a new control plane on
//!    the same port, and time until the console's next `PlaneMsg::Hello` (it reconnects with
//!    its own capped full-jitter backoff). Requirement: p95 ≤ 2 s.
//! 3. **Fan-out.** A generated fixture served by `ControlPlane::from_fixture` at a speed
//!    that publishes ~1 000 events/s, to 100 consoles whose feeds are drained by counting
//!    tasks. Every 5 s: events/s, each console's lag (newest published seq − newest seq
//!    it delivered), process RSS and CPU. 60 s (`WARROOM_LIVE_SECS=N` for another length).
//!    Requirement: after a 10 s warm-up no console lags more than 1 000 events at any
//!    sample, and RSS at the end is within +20 % of RSS at 15 s.
//!
//! 4. **Late join.** A control plane with 10,000 events of history (a generated fixture
//!    played to its end); 20 fresh consoles join one after another over a raw web socket:
//!    the time from connecting to the last part of the state image received, the bytes of
//!    the hello and the image, and the time to turn the image into the console's state
//!    (decode, check against the plan, build). Requirements: median join ≤ 250 ms on
//!    loopback, and at most 1 MiB per join.
//!
//! `WARROOM_LIVE_PARTS=4` (or `1,4`, …) runs only those parts.
//!
//! Everything is bounded in count and time, listens on 127.0.0.1 only, and stops by itself.
//! The consoles run in the same process (and on the same 2 cores) as the control plane, so
//! part 3 measures both sides' CPU.

#![allow(clippy::too_many_lines)] // measurement scripts read top to bottom

use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use warroom::core::app::App as Console;
use warroom::core::command::{Command, Role};
use warroom::core::input::{Input, PlaneMsg as Feed};
use warroom::core::intent::Key;
use warroom::core::outbox::Outbox;
use warroom::core::record::Record;
use warroom::core::rng::Rng;
use warroom::core::source::{Link, SourceStatus};
use warroom::server::net::{self, ControlPlane, Tokens};
use warroom::server::scenario::Scenario;
use warroom::shell::ws_client::{self, Options};

const KEYPRESSES: usize = 300;
const KEYPRESS_P99_MS: f64 = 1.0;
/// The whole process (control plane and all consoles) in the fan-out, percent of one core.
const MAX_FANOUT_CPU_PCT: f64 = 35.0;
const RESTARTS: usize = 20;
const RECONNECT_P95_S: f64 = 2.0;
const CONSOLES: usize = 100;
const RATE: f64 = 1_000.0;
const SAMPLE: Duration = Duration::from_secs(5);
const WARM_UP: Duration = Duration::from_secs(10);
const MAX_LAG: u64 = 1_000;
const RSS_GROWTH: f64 = 0.20;

fn fail(what: &str, e: &dyn std::fmt::Display) -> ! {
    eprintln!("{what}: {e}");
    std::process::exit(1)
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn options(url: &str, seed: u64) -> Options {
    Options {
        url: url.into(),
        actor: "bench@loopback".into(),
        role: Role::Commander,
        token: None,
        seed,
    }
}

/// The q-quantile (nearest rank) of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

mod bench;
use bench::verdict;

/// `VmRSS` in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// User + system CPU time of this process, in clock ticks (100 per second on Linux).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    // Fields after the command name start at field 3 (state); utime and stime are 14, 15.
    let fields: Vec<&str> = after.split_whitespace().collect();
    let get = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    get(11) + get(12)
}

/// The next report of the connection (the console's input channel carries only those here).
async fn recv_plane(rx: &mut mpsc::Receiver<Input>) -> Option<Feed> {
    loop {
        if let Input::ControlPlane(m) = rx.recv().await? {
            return Some(m);
        }
    }
}

/// Waits (bounded) for the console's first hello.
async fn first_hello(
    rx: &mut mpsc::Receiver<Input>,
    within: Duration,
) -> Option<Box<warroom::core::input::Hello>> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, recv_plane(rx)).await {
            Ok(Some(Feed::Hello(h))) => return Some(h),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// 1. Keypress → command published
// ---------------------------------------------------------------------------------------

fn keypress(rt: &Runtime) -> bool {
    println!("== 1. confirmed keypress -> command received by the control plane ==");
    let plane = ControlPlane::new(Scenario::batch_patches_demo(7), 1.0, Tokens::default());
    let (addr, serving) = rt
        .block_on(net::bind(loopback(0), plane.clone()))
        .unwrap_or_else(|e| fail("bind 127.0.0.1:0", &e));
    let server = rt.spawn(serving);
    let (tx, mut rx) = mpsc::channel(1024);
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let console = rt.spawn(ws_client::run(
        options(&format!("ws://{addr}"), 3),
        cmd_rx,
        tx,
    ));
    let Some(hello) = rt.block_on(first_hello(&mut rx, Duration::from_secs(10))) else {
        fail("keypress", &"no hello from the control plane within 10 s")
    };
    // The connection's feed keeps being read, as the screen's loop would.
    // Problems it reports (the first few) are printed at the end.
    let drain = rt.spawn(async move {
        let mut problems = Vec::new();
        while let Some(feed) = recv_plane(&mut rx).await {
            if let Feed::Problem(p) = feed {
                if problems.len() < 5 {
                    problems.push(p);
                }
            }
        }
        problems
    });

    // The console, as `warroom connect` builds it, past its first hello.
    let mut screen = Console::live(
        Arc::new(warroom::core::plan::Plan::placeholder()),
        Outbox::new(Role::Commander, "bench@loopback".into(), "bench".into()),
        None,
        false,
    );
    screen.apply(Input::ControlPlane(Feed::Hello(hello)));
    screen.apply(Input::ControlPlane(Feed::Link(Link::Connected)));

    let mut rng = Rng::new(99);
    let mut ms: Vec<f64> = Vec::with_capacity(KEYPRESSES);
    let mut lost = 0usize;
    for i in 0..KEYPRESSES {
        let before = plane.seq();
        screen.apply(Input::Key(Key::Char('N')));
        for ch in format!("latency probe {i}").chars() {
            screen.apply(Input::Key(Key::Char(ch)));
        }
        let reaction = screen.apply(Input::Key(Key::Enter));
        let t0 = Instant::now();
        let Some(cmd) = reaction.send.into_iter().next() else {
            fail(
                "keypress",
                &"Enter on the note confirmation gave no command",
            )
        };
        let id = cmd.id.clone();
        if cmd_tx.try_send(cmd).is_err() {
            fail("keypress", &"the command channel is full or closed");
        }
        // Spin until the control plane has published the command record.
        let deadline = t0 + Duration::from_secs(5);
        let mut checked = before;
        let mut spins = 0u32;
        let got = loop {
            if plane.seq() > checked {
                let log = plane.log_since(checked);
                if log.iter().any(|(_, r)| {
                    r.get("type").and_then(serde_json::Value::as_str) == Some("command")
                        && r.get("id").and_then(serde_json::Value::as_str) == Some(id.as_str())
                }) {
                    break Some(t0.elapsed());
                }
                checked = log.last().map_or(checked, |(s, _)| *s);
            }
            if Instant::now() > deadline {
                break None;
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(64) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        };
        match got {
            Some(d) => ms.push(d.as_secs_f64() * 1e3),
            None => lost += 1,
        }
        // 10–30 ms between keypresses, off the scenario's 100 ms tick.
        std::thread::sleep(Duration::from_millis(10 + rng.next_u64() % 21));
    }
    drop(cmd_tx);
    // Closing the command channel ends the connection, which ends the feed and the drain.
    let problems = rt
        .block_on(async {
            let _ = tokio::time::timeout(Duration::from_secs(2), console).await;
            tokio::time::timeout(Duration::from_secs(2), drain).await
        })
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    server.abort();
    for p in &problems {
        println!("  problem reported to the console: {p}");
    }

    ms.sort_by(f64::total_cmp);
    let (p50, p95, p99) = (
        quantile(&ms, 0.50),
        quantile(&ms, 0.95),
        quantile(&ms, 0.99),
    );
    let max = ms.last().copied().unwrap_or(f64::NAN);
    println!(
        "measures: Enter returns -> command record published by the control plane (channel, socket write, server read); an upper bound of 'written to the socket'"
    );
    println!(
        "keypress->published over {} commands ({lost} not seen within 5 s): p50 {p50:.3} ms  p95 {p95:.3} ms  p99 {p99:.3} ms  max {max:.3} ms",
        ms.len()
    );
    let ok = lost == 0 && p99 <= KEYPRESS_P99_MS;
    println!(
        "requirement keypress -> command p99 <= {KEYPRESS_P99_MS:.0} ms: {} ({p99:.3} ms)",
        verdict(ok)
    );
    ok
}

// ---------------------------------------------------------------------------------------
// 2. Reconnect after a restart
// ---------------------------------------------------------------------------------------

/// A new control plane on `addr` (retrying the bind for up to 3 s while the old listener
/// goes away), serving in a task of its own.
async fn start_plane(addr: SocketAddr, seed: u64) -> JoinHandle<()> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let plane = ControlPlane::new(Scenario::batch_patches_demo(seed), 1.0, Tokens::default());
        match net::bind(addr, plane).await {
            Ok((_, serving)) => return tokio::spawn(serving),
            Err(e) if Instant::now() > deadline => fail(&format!("bind {addr}"), &e),
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn restarts() -> bool {
    println!("== 2. reconnect after a control plane restart ==");
    let port = match std::net::TcpListener::bind(loopback(0)).and_then(|l| l.local_addr()) {
        Ok(a) => a.port(),
        Err(e) => fail("find a free loopback port", &e),
    };
    let addr = loopback(port);
    let mut server = start_plane(addr, 1).await;
    let (tx, mut rx) = mpsc::channel(1024);
    let (cmd_tx, cmd_rx) = mpsc::channel::<Command>(16);
    let console = tokio::spawn(ws_client::run(
        options(&format!("ws://{addr}"), 17),
        cmd_rx,
        tx,
    ));
    if first_hello(&mut rx, Duration::from_secs(10))
        .await
        .is_none()
    {
        fail("restart", &"no hello from the control plane within 10 s");
    }
    let mut rng = Rng::new(2024);
    let mut secs: Vec<f64> = Vec::with_capacity(RESTARTS);
    let mut uncut = 0usize;
    println!(
        "{:>3}  {:>8}  {:>9}  {:>13}  {:>8}",
        "#", "down s", "cut seen", "reconnect s", "attempts"
    );
    for i in 0..RESTARTS {
        server.abort();
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut server).await;
        let down = Duration::from_secs_f64(0.2 + 1.3 * rng.unit());
        // While down, keep reading the feed: did the console notice, and how many attempts?
        let (mut cut, mut attempts) = (false, 0u32);
        let until = tokio::time::Instant::now() + down;
        while let Ok(feed) = tokio::time::timeout_at(until, recv_plane(&mut rx)).await {
            match feed {
                Some(Feed::Link(Link::Down { .. })) => cut = true,
                Some(Feed::Link(Link::Connecting { attempt })) => attempts = attempts.max(attempt),
                Some(_) => {}
                None => fail("restart", &"the console stopped"),
            }
        }
        server = start_plane(addr, 100 + i as u64).await;
        let t0 = Instant::now();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        let took = loop {
            match tokio::time::timeout_at(deadline, recv_plane(&mut rx)).await {
                Ok(Some(Feed::Hello { .. })) => break Some(t0.elapsed()),
                Ok(Some(Feed::Link(Link::Down { .. }))) => cut = true,
                Ok(Some(Feed::Link(Link::Connecting { attempt }))) => {
                    attempts = attempts.max(attempt);
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break None,
            }
        };
        if !cut {
            uncut += 1;
        }
        let cut_word = if cut { "yes" } else { "no" };
        let down_s = down.as_secs_f64();
        if let Some(d) = took {
            let d = d.as_secs_f64();
            println!(
                "{:>3}  {down_s:>8.3}  {cut_word:>9}  {d:>13.3}  {attempts:>8}",
                i + 1
            );
            secs.push(d);
        } else {
            println!(
                "{:>3}  {down_s:>8.3}  {cut_word:>9}  {:>13}  {attempts:>8}",
                i + 1,
                "none in 15 s"
            );
            if !cut {
                println!(
                    "   the console never lost its connection: aborting the serving task did not close it; stopping part 2"
                );
                break;
            }
        }
    }
    drop(cmd_tx);
    console.abort();
    server.abort();
    let missed = RESTARTS - secs.len();
    secs.sort_by(f64::total_cmp);
    let (p50, p95) = (quantile(&secs, 0.50), quantile(&secs, 0.95));
    let max = secs.last().copied().unwrap_or(f64::NAN);
    println!(
        "reconnect after the server is back, {} restarts ({missed} without a hello in 15 s, {uncut} where the console saw no cut): p50 {p50:.3} s  p95 {p95:.3} s  max {max:.3} s",
        secs.len()
    );
    let ok = missed == 0 && p95 <= RECONNECT_P95_S;
    println!(
        "requirement reconnect p95 <= {RECONNECT_P95_S:.0} s: {} ({p95:.3} s)",
        verdict(ok)
    );
    ok
}

// ---------------------------------------------------------------------------------------
// 3. Fan-out to 100 consoles
// ---------------------------------------------------------------------------------------

#[derive(Default)]
struct Seen {
    newest: AtomicU64,
    events: AtomicU64,
    hellos: AtomicU64,
    problems: AtomicU64,
    /// The first problem this console reported.
    first_problem: std::sync::Mutex<Option<String>>,
}

/// Generated records for about `secs` seconds at `RATE`, with the speed that plays them at
/// that rate.
fn fixture(secs: u64) -> (Arc<warroom::core::plan::Plan>, Vec<Record>, f64) {
    let lines = (secs + 30) * RATE as u64;
    let mut bytes = Vec::new();
    warroom::shell::generate::write(&mut bytes, lines, 42).unwrap_or_else(|e| fail("generate", &e));
    let mut reader = warroom::format::fixture::open("generated", Cursor::new(bytes))
        .unwrap_or_else(|e| fail("open the generated fixture", &e));
    let plan = reader.fixture().plan.clone();
    let mut records = Vec::new();
    loop {
        match reader.next_records(&mut |r| records.push(r)) {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => fail("read the generated fixture", &e),
        }
    }
    let span_ms = match (records.first(), records.last()) {
        (Some(a), Some(b)) => (b.t.0 - a.t.0) as f64,
        _ => fail("generate", &"no records"),
    };
    // Fixture ms per record = wall ms per record × speed; 1 ms per record is 1 000/s.
    let speed = span_ms / records.len() as f64 * (1_000.0 / RATE);
    (plan, records, speed)
}

async fn fan_out(secs: u64) -> bool {
    println!("== 3. one control plane, {CONSOLES} consoles, ~{RATE:.0} events/s for {secs} s ==");
    let (plan, records, speed) = fixture(secs);
    println!(
        "fixture: {} records over {:.0} fixture-seconds, played at speed {speed:.0}",
        records.len(),
        records.last().map_or(0.0, |r| r.t.0 as f64 / 1000.0)
    );
    let plane = ControlPlane::from_fixture(plan, records, speed, Tokens::default(), 1);
    let (addr, serving) = net::bind(loopback(0), plane.clone())
        .await
        .unwrap_or_else(|e| fail("bind 127.0.0.1:0", &e));
    let server = tokio::spawn(serving);
    let url = format!("ws://{addr}");
    let mut seen = Vec::with_capacity(CONSOLES);
    let mut tasks = Vec::with_capacity(CONSOLES * 2);
    let mut senders = Vec::with_capacity(CONSOLES);
    for i in 0..CONSOLES {
        let (tx, mut rx) = mpsc::channel(1024);
        let (cmd_tx, cmd_rx) = mpsc::channel::<Command>(4);
        let mut opts = options(&url, 1_000 + i as u64);
        opts.role = Role::Observer;
        tasks.push(tokio::spawn(ws_client::run(opts, cmd_rx, tx)));
        senders.push(cmd_tx);
        let s = Arc::new(Seen::default());
        let mine = s.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(feed) = recv_plane(&mut rx).await {
                match feed {
                    Feed::Events { records, seq } => {
                        mine.events
                            .fetch_add(records.len() as u64, Ordering::Relaxed);
                        mine.newest.store(seq, Ordering::Relaxed);
                    }
                    Feed::Hello(h) => {
                        let seq = h.seq;
                        mine.hellos.fetch_add(1, Ordering::Relaxed);
                        mine.newest.store(seq, Ordering::Relaxed);
                    }
                    Feed::Problem(p) | Feed::Refused(p) => {
                        mine.problems.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut first) = mine.first_problem.lock() {
                            first.get_or_insert(p);
                        }
                    }
                    Feed::Link(_)
                    | Feed::Clock(_)
                    | Feed::Exercise(_)
                    | Feed::Sent { .. }
                    | Feed::NotSent { .. } => {}
                }
            }
        }));
        seen.push(s);
    }
    // All connected before the clock starts (bounded).
    let connect_by = Instant::now() + Duration::from_secs(30);
    while seen.iter().any(|s| s.hellos.load(Ordering::Relaxed) == 0) && Instant::now() < connect_by
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connected = seen
        .iter()
        .filter(|s| s.hellos.load(Ordering::Relaxed) > 0)
        .count();
    println!("{connected}/{CONSOLES} consoles greeted");

    let start = Instant::now();
    let (mut prev_seq, mut prev_cpu, mut prev_at) = (plane.seq(), cpu_ticks(), start);
    let samples = (secs / SAMPLE.as_secs()).max(1);
    let baseline_at = (15u64.min(secs / 2) / SAMPLE.as_secs()).max(1) * SAMPLE.as_secs();
    let (mut rss_base, mut rss_end) = (0u64, 0u64);
    let mut seq_base = 0u64;
    let (mut worst_lag, mut worst_behind) = (0u64, 0usize);
    let mut dropped = false;
    // CPU of the whole process (control plane and every console) after the warm-up.
    let (mut cpu_from, mut cpu_from_at) = (cpu_ticks(), start);
    println!(
        "{:>5}  {:>9}  {:>8}  {:>8}  {:>8}  {:>12}  {:>8}  {:>6}",
        "t s", "seq", "events/s", "max lag", "mean lag", "lag > 1 s", "RSS MiB", "CPU %"
    );
    for k in 1..=samples {
        tokio::time::sleep_until((start + SAMPLE * k as u32).into()).await;
        let now = Instant::now();
        let seq = plane.seq();
        let lags: Vec<u64> = seen
            .iter()
            .map(|s| seq.saturating_sub(s.newest.load(Ordering::Relaxed)))
            .collect();
        let dt = now.duration_since(prev_at).as_secs_f64();
        let rate = (seq - prev_seq) as f64 / dt;
        let cpu = cpu_ticks();
        let cpu_pct = (cpu - prev_cpu) as f64 / dt; // ticks are 1/100 s
        let max_lag = lags.iter().copied().max().unwrap_or(0);
        let mean_lag = lags.iter().sum::<u64>() as f64 / lags.len().max(1) as f64;
        let one_second = rate.max(1.0) as u64;
        let behind = lags.iter().filter(|l| **l > one_second).count();
        let rss = rss_kib();
        let t = now.duration_since(start);
        println!(
            "{:>5.0}  {seq:>9}  {rate:>8.0}  {max_lag:>8}  {mean_lag:>8.1}  {:>12}  {:>8.1}  {cpu_pct:>6.0}",
            t.as_secs_f64(),
            format!("{behind}/{CONSOLES}"),
            rss as f64 / 1024.0
        );
        if SAMPLE * k as u32 == WARM_UP {
            (cpu_from, cpu_from_at) = (cpu, now);
        }
        if SAMPLE * k as u32 >= WARM_UP {
            worst_lag = worst_lag.max(max_lag);
            worst_behind = worst_behind.max(behind);
        }
        if k * SAMPLE.as_secs() == baseline_at {
            rss_base = rss;
            seq_base = seq;
        }
        rss_end = rss;
        if seen.iter().any(|s| s.hellos.load(Ordering::Relaxed) > 1) {
            dropped = true;
        }
        (prev_seq, prev_cpu, prev_at) = (seq, cpu, now);
    }
    let seq = plane.seq();
    let reconnects: u64 = seen
        .iter()
        .map(|s| s.hellos.load(Ordering::Relaxed).saturating_sub(1))
        .sum();
    let problems: u64 = seen
        .iter()
        .map(|s| s.problems.load(Ordering::Relaxed))
        .sum();
    let (least, most) = seen.iter().fold((u64::MAX, 0), |(lo, hi), s| {
        let e = s.events.load(Ordering::Relaxed);
        (lo.min(e), hi.max(e))
    });
    println!(
        "published {seq} events in {:.1} s; per console delivered {least}..{most} events; reconnects {reconnects}; problems {problems}",
        start.elapsed().as_secs_f64()
    );
    let mut kinds: Vec<String> = seen
        .iter()
        .filter_map(|s| s.first_problem.lock().ok().and_then(|p| p.clone()))
        .collect();
    kinds.sort();
    kinds.dedup();
    for k in kinds.iter().take(3) {
        println!("  problem reported: {k}");
    }
    drop(senders);
    for t in &tasks {
        t.abort();
    }
    server.abort();

    let lag_ok = connected == CONSOLES && worst_lag <= MAX_LAG && !dropped;
    println!(
        "requirement no console lags > {MAX_LAG} events after {} s warm-up: {} (worst max lag {worst_lag}, at most {worst_behind} consoles > 1 s behind, {reconnects} reconnects)",
        WARM_UP.as_secs(),
        verdict(lag_ok)
    );
    // The control plane's log keeps every event up to `hub::LOG_CAP`: until it is full,
    // RSS grows with each event published. Bytes per event between the two samples:
    let per_event = (rss_end.saturating_sub(rss_base) * 1024) as f64
        / (prev_seq.saturating_sub(seq_base)).max(1) as f64;
    println!(
        "RSS growth between {baseline_at} s and the end: {per_event:.0} bytes per event published (event log cap {} events)",
        warroom::server::event_log::LOG_CAP
    );
    let growth = rss_end as f64 / (rss_base.max(1)) as f64 - 1.0;
    let mem_ok = growth <= RSS_GROWTH;
    println!(
        "requirement RSS at the end within +{:.0} % of RSS at {baseline_at} s: {} ({:.1} -> {:.1} MiB, {:+.1} %)",
        RSS_GROWTH * 100.0,
        verdict(mem_ok),
        rss_base as f64 / 1024.0,
        rss_end as f64 / 1024.0,
        growth * 100.0
    );
    let cpu_pct = (prev_cpu - cpu_from) as f64 / prev_at.duration_since(cpu_from_at).as_secs_f64();
    let cpu_ok = cpu_pct <= MAX_FANOUT_CPU_PCT;
    println!(
        "requirement {CONSOLES} consoles at 1000 events/s under {MAX_FANOUT_CPU_PCT:.0} % of one core (control plane and consoles, after {} s): {} ({cpu_pct:.1} %)",
        WARM_UP.as_secs(),
        verdict(cpu_ok)
    );
    lag_ok && mem_ok && cpu_ok
}

// ---------------------------------------------------------------------------------------
// 4. Late join
// ---------------------------------------------------------------------------------------

/// Events of history the late joiners find.
const HISTORY: u64 = 10_000;
const JOINS: usize = 20;
const MAX_JOIN_MS: f64 = 250.0;
const MAX_JOIN_BYTES: usize = 1 << 20;

/// One raw join: hello, then the image's parts. Returns (ms until the image was whole, bytes
/// of hello and image, the image's text, the hello's rollout).
async fn join_once(url: &str) -> (f64, usize, String, warroom::core::plan::PlanSpec) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use warroom::format::protocol::{ClientMsg, ServerMsg, PROTOCOL};
    let started = Instant::now();
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .unwrap_or_else(|e| fail("join: connect", &e));
    let hello = ClientMsg::Hello {
        protocol: PROTOCOL.into(),
        client: "bench".into(),
        actor: "bench@loopback".into(),
        role: Role::Observer,
        resume_after: None,
        session: None,
        token: None,
    };
    let text = serde_json::to_string(&hello).unwrap_or_default();
    ws.send(Message::text(text))
        .await
        .unwrap_or_else(|e| fail("join: hello", &e));
    let (mut bytes, mut want, mut image, mut rollout) =
        (0usize, None::<usize>, String::new(), None);
    while want.is_none_or(|w| image.len() < w) {
        let msg = match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => t,
            Ok(Some(Ok(_))) => continue,
            other => fail("join: the image", &format!("{other:?}")),
        };
        bytes += msg.len();
        match serde_json::from_str::<ServerMsg>(&msg) {
            Ok(ServerMsg::Hello {
                image_bytes,
                rollout: r,
                ..
            }) => {
                want = Some(image_bytes.unwrap_or(0));
                rollout = Some(r);
            }
            Ok(ServerMsg::Image { part }) => image.push_str(&part),
            Ok(_) => {}
            Err(e) => fail("join: a message", &e),
        }
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let _ = ws.close(None).await;
    (
        ms,
        bytes,
        image,
        rollout.unwrap_or_else(|| fail("join", &"no hello")),
    )
}

async fn late_join() -> bool {
    let mut ok = true;
    for notes in [false, true] {
        ok &= late_join_with(notes).await;
    }
    ok
}

/// `notes`: every event of the history is a note, so every one is a timeline entry (the
/// largest image for that many events); otherwise the generated mix (mostly samples).
async fn late_join_with(notes: bool) -> bool {
    use warroom::core::state::{Image, State, TIMELINE_CAP};
    let what = if notes {
        "notes, each a timeline entry"
    } else {
        "the generated mix, mostly samples"
    };
    println!(
        "== 4. late join: consoles joining a control plane with {HISTORY} events of history \
         ({what}) =="
    );
    let mut bytes = Vec::new();
    warroom::shell::generate::write(&mut bytes, HISTORY, 7)
        .unwrap_or_else(|e| fail("generate", &e));
    let mut reader = warroom::format::fixture::open("generated", Cursor::new(bytes))
        .unwrap_or_else(|e| fail("open the generated fixture", &e));
    let plan = reader.fixture().plan.clone();
    let mut records = Vec::new();
    while let Ok(Some(_)) = reader.next_records(&mut |r| records.push(r)) {}
    if notes {
        for (i, r) in records.iter_mut().enumerate() {
            r.body = warroom::core::record::Body::Note {
                by: Some("Maya Chen (Incident Commander)".into()),
                text: format!(
                    "Status update {i}: error rate steady, bake continues, next update in 15 minutes"
                )
                .into(),
            };
        }
    }
    let span_ms = match (records.first(), records.last()) {
        (Some(a), Some(b)) => (b.t.0 - a.t.0).max(1) as f64,
        _ => fail("generate", &"no records"),
    };
    // The whole fixture in about a second; afterwards the control plane samples on at the
    // fixture's pace, a few events a second.
    let n = records.len() as u64;
    let plane = ControlPlane::from_fixture(
        plan.clone(),
        records,
        span_ms / 1000.0,
        Tokens::default(),
        1,
    );
    let (addr, serving) = net::bind(loopback(0), plane.clone())
        .await
        .unwrap_or_else(|e| fail("bind 127.0.0.1:0", &e));
    let server = tokio::spawn(serving);
    let deadline = Instant::now() + Duration::from_secs(30);
    while plane.seq() < n {
        if Instant::now() > deadline {
            fail(
                "late join",
                &format!("only {} of {n} events published in 30 s", plane.seq()),
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = format!("ws://{addr}");
    let (mut ms, mut sizes, mut build_ms) = (Vec::new(), Vec::new(), Vec::new());
    let mut entries = 0;
    for _ in 0..JOINS {
        let (t, b, image, rollout) = join_once(&url).await;
        let built = Instant::now();
        let resolved = Arc::new(
            warroom::core::plan::Plan::new(rollout).unwrap_or_else(|e| fail("join: plan", &e)),
        );
        let image = Image::decode(&image).unwrap_or_else(|e| fail("join: decode", &e));
        entries = image.timeline.len();
        let state = State::from_image(
            resolved,
            SourceStatus {
                name: Arc::from("control-plane"),
                link: Link::Connected,
            },
            TIMELINE_CAP,
            image,
        )
        .unwrap_or_else(|e| fail("join: state", &e));
        build_ms.push(built.elapsed().as_secs_f64() * 1000.0);
        assert!(state.applied >= n, "the image stands for the history");
        ms.push(t);
        sizes.push(b);
    }
    server.abort();
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (m, mb) = (median(&mut ms), median(&mut build_ms));
    let max_bytes = sizes.iter().copied().max().unwrap_or(0);
    println!(
        "history: {} events published ({n} fixture records), image of {entries} timeline entries",
        plane.seq()
    );
    println!(
        "{JOINS} joins: connect → image whole median {m:.1} ms (max {:.1} ms); image → state median {mb:.1} ms; {max_bytes} bytes per join ({:.0} bytes per event of history)",
        ms.last().copied().unwrap_or(0.0),
        max_bytes as f64 / n as f64
    );
    let time_ok = m <= MAX_JOIN_MS;
    let bytes_ok = max_bytes <= MAX_JOIN_BYTES;
    println!(
        "requirement late join median <= {MAX_JOIN_MS:.0} ms: {m:.1} ms: {}",
        verdict(time_ok)
    );
    println!(
        "requirement late join <= {} KiB per join: {} KiB: {}",
        MAX_JOIN_BYTES >> 10,
        max_bytes >> 10,
        verdict(bytes_ok)
    );
    time_ok && bytes_ok
}

fn main() {
    // `cargo bench` passes `--bench`; there are no options of our own.
    let secs = std::env::var("WARROOM_LIVE_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(60)
        .clamp(10, 600);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail("tokio runtime", &e));
    let parts: Vec<u8> = std::env::var("WARROOM_LIVE_PARTS").ok().map_or_else(
        || vec![1, 2, 3, 4],
        |v| v.split(',').filter_map(|p| p.trim().parse().ok()).collect(),
    );
    let mut results: Vec<(&str, bool)> = Vec::new();
    if parts.contains(&1) {
        results.push(("keypress", keypress(&rt)));
        println!();
    }
    if parts.contains(&2) {
        results.push(("reconnect", rt.block_on(restarts())));
        println!();
    }
    if parts.contains(&3) {
        results.push(("fan-out", rt.block_on(fan_out(secs))));
        println!();
    }
    if parts.contains(&4) {
        results.push(("late join", rt.block_on(late_join())));
        println!();
    }
    rt.shutdown_timeout(Duration::from_secs(2));
    let summary: Vec<String> = results
        .iter()
        .map(|(name, ok)| format!("{name} {}", verdict(*ok)))
        .collect();
    println!("summary: {}", summary.join("  "));
}
