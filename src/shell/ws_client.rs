//! The console's connection to a control plane: connect, hello (resuming after the last
//! applied sequence number, or taking the state's image), then events in order — never one
//! lost or applied twice across any number of reconnects — with heartbeats, size limits and
//! capped full-jitter backoff.
//!
//! Commands are written when they are handed over and only then: while the connection is
//! down a command is answered at once as not sent, a command is reported sent only once its
//! frame is on the socket, and nothing here retries anything. Whether a command without an
//! outcome goes again (only to the same session) is the console's decision.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::core::command::{Command, Role};
use crate::core::input::{Hello, Input, PlaneMsg, Start};
use crate::core::plan::Plan;
use crate::core::sanitize::sanitize;
use crate::core::source::Link;
use crate::core::state::{Image, MAX_IMAGE};
use crate::core::time::{Offset, Span};
use crate::format::protocol::{ClientMsg, ErrorCode, Resume, ServerMsg, MAX_MESSAGE, PROTOCOL};
use crate::format::record::{decode, Raw, Strictness};

use crate::shell::backoff::Backoff;

/// No message at all for this long means the connection is dead (or half-open).
pub const DEAD_AFTER: Duration = Duration::from_secs(12);

/// How to reach the control plane and who is asking.
#[derive(Clone, Debug)]
pub struct Options {
    pub url: String,
    pub actor: String,
    pub role: Role,
    /// Never logged, never on the command line: from an environment variable or a file.
    pub token: Option<String>,
    pub seed: u64,
}

/// Where the connection's reports go: the console's input channel, bounded and awaited (so a
/// busy console slows the reading of the socket down rather than losing events).
struct Out(mpsc::Sender<Input>);

impl Out {
    async fn send(&self, m: PlaneMsg) -> bool {
        self.0.send(Input::ControlPlane(m)).await.is_ok()
    }
}

/// Runs the connection until the console goes away (the channel closes or `commands`
/// closes) or the control plane refuses it for good.
pub async fn run(opts: Options, mut commands: mpsc::Receiver<Command>, tx: mpsc::Sender<Input>) {
    let out = Out(tx);
    let mut backoff = Backoff::new(opts.seed);
    let mut resume: Option<(String, u64)> = None;
    let mut clock = Clock::default();
    loop {
        let attempt = backoff.attempt() + 1;
        if !out.send(PlaneMsg::Link(Link::Connecting { attempt })).await {
            return;
        }
        let reason = match session(
            &opts,
            &mut resume,
            &mut commands,
            &out,
            &mut backoff,
            &mut clock,
        )
        .await
        {
            End::Quit => return,
            End::Refused(why) => {
                out.send(PlaneMsg::Refused(why)).await;
                return;
            }
            End::Lost(why) => why,
        };
        let wait = backoff.next_delay();
        // While down: the countdown to the next attempt every second, the clock kept going
        // (data from a dead source ages and turns stale on screen), and commands answered at
        // once as not sent.
        let until = Instant::now() + wait;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => break,
                _ = tick.tick() => {
                    let left = until.saturating_duration_since(Instant::now());
                    let down = Link::Down {
                        reason: reason.clone().into(),
                        attempt,
                        retry_in: Some(Span(i64::try_from(left.as_millis()).unwrap_or(i64::MAX))),
                    };
                    if !out.send(PlaneMsg::Link(down)).await { return }
                    if let Some(now) = clock.now() {
                        if !out.send(PlaneMsg::Clock(now)).await { return }
                    }
                }
                cmd = commands.recv() => match cmd {
                    Some(c) => {
                        let not_sent = PlaneMsg::NotSent { id: c.id, reason: "control plane down".into() };
                        if !out.send(not_sent).await { return }
                    }
                    None => return,
                },
            }
        }
    }
}

/// The control plane's clock as last heard, extrapolated at its speed.
#[derive(Clone, Copy, Debug, Default)]
struct Clock {
    at: Option<(Offset, Instant)>,
    speed: f64,
}

impl Clock {
    fn now(&self) -> Option<Offset> {
        let (t, at) = self.at?;
        #[allow(clippy::cast_possible_truncation)]
        Some(Offset(t.0.saturating_add(
            (at.elapsed().as_secs_f64() * 1000.0 * self.speed) as i64,
        )))
    }
}

enum End {
    Quit,
    Refused(String),
    Lost(String),
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn send(ws: &mut Ws, msg: &ClientMsg) -> Result<(), String> {
    let text = serde_json::to_string(msg).map_err(|e| e.to_string())?;
    ws.send(Message::text(text))
        .await
        .map_err(|e| e.to_string())
}

/// A snapshot hello whose image is still arriving.
struct Assembling {
    hello: Hello,
    text: String,
    bytes: usize,
}

#[allow(clippy::too_many_lines)] // one select over the socket, the commands and the clock
async fn session(
    opts: &Options,
    resume: &mut Option<(String, u64)>,
    commands: &mut mpsc::Receiver<Command>,
    out: &Out,
    backoff: &mut Backoff,
    clock: &mut Clock,
) -> End {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    // Small messages (heartbeats, commands) go at once, not after the last one's ACK.
    let connect =
        tokio_tungstenite::connect_async_with_config(opts.url.as_str(), Some(config), true);
    let mut ws = match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => return End::Lost(plain(&e)),
        Err(_) => return End::Lost("connect timed out".into()),
    };
    let hello = ClientMsg::Hello {
        protocol: PROTOCOL.into(),
        client: format!("warroom {}", env!("CARGO_PKG_VERSION")),
        actor: opts.actor.clone(),
        role: opts.role,
        resume_after: resume.as_ref().map(|r| r.1),
        session: resume.as_ref().map(|r| r.0.clone()),
        token: opts.token.clone(),
    };
    if let Err(e) = send(&mut ws, &hello).await {
        return End::Lost(e);
    }
    let mut last_heard = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut plan: Option<Arc<Plan>> = None;
    let mut assembling: Option<Assembling> = None;
    loop {
        tokio::select! {
            msg = ws.next() => {
                last_heard = Instant::now();
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Ok(Message::Binary(b))) => { if !out.send(PlaneMsg::Problem(format!("binary message of {} bytes ignored", b.len()))).await { return End::Quit } continue }
                    Some(Ok(Message::Close(_))) | None => return End::Lost("connection closed".into()),
                    Some(Err(tokio_tungstenite::tungstenite::Error::Capacity(e))) => {
                        let problem = PlaneMsg::Problem(format!("message over the 1 MiB limit dropped ({})", sanitize(&e.to_string())));
                        if !out.send(problem).await { return End::Quit }
                        return End::Lost("oversized message".into());
                    }
                    Some(Err(e)) => return End::Lost(plain(&e)),
                };
                // Events, nearly every message, are read straight into the record's wire
                // shape; anything else (or an event that does not read so) goes the long way.
                if let Ok(ev) = serde_json::from_str::<EventMsg<'_>>(&text) {
                    match on_event(ev.seq, Ok(&ev.record), plan.as_deref(), resume, assembling.is_some()) {
                        Step::Skip => {}
                        Step::Tell(m) => if !out.send(m).await { return End::Quit },
                        Step::End(end) => return end,
                    }
                    continue;
                }
                let parsed: ServerMsg = match serde_json::from_str(&text) {
                    Ok(m) => m,
                    Err(e) => {
                        let msg = format!("malformed message ignored: {}", sanitize(&e.to_string()));
                        if !out.send(PlaneMsg::Problem(msg)).await { return End::Quit }
                        continue;
                    }
                };
                match parsed {
                    ServerMsg::Hello { protocol, session, role, rollout, seq, now, speed, mode, image_bytes, .. } => {
                        if protocol.split('.').next() != PROTOCOL.split('.').next() {
                            return End::Refused(format!("the control plane speaks protocol {protocol}; this console speaks {PROTOCOL}"));
                        }
                        let resolved = match Plan::new(rollout) {
                            Ok(r) => Arc::new(r),
                            Err(e) => return End::Refused(format!("the control plane's plan does not hold together: {e}")),
                        };
                        let same_session = resume.as_ref().is_some_and(|r| r.0 == session);
                        *clock = Clock { at: Some((now, Instant::now())), speed: speed.clamp(0.0, 1.0e6) };
                        plan = Some(resolved.clone());
                        let hello = Hello { session: session.clone(), plan: resolved, role, now, speed, seq, start: Start::Resume };
                        if mode == Resume::Resume {
                            if !same_session {
                                // Resuming is only for the session the numbers belong to.
                                let problem = format!("the control plane offered to resume session {} this console has not seen", sanitize(&session));
                                if !out.send(PlaneMsg::Problem(problem)).await { return End::Quit }
                                *resume = None;
                                return End::Lost("resume offered for another session".into());
                            }
                            backoff.reset();
                            if !out.send(PlaneMsg::Hello(Box::new(hello))).await { return End::Quit }
                            if !out.send(PlaneMsg::Link(Link::Connected)).await { return End::Quit }
                            continue;
                        }
                        let bytes = image_bytes.unwrap_or(0);
                        if bytes > MAX_IMAGE {
                            return End::Refused(format!("the control plane's state image is {bytes} bytes, over the {} MiB limit", MAX_IMAGE >> 20));
                        }
                        *resume = Some((session, seq));
                        assembling = Some(Assembling { hello, text: String::with_capacity(bytes), bytes });
                        if bytes == 0 {
                            // Nothing to assemble: an empty state.
                            if let Some(end) = finish(&mut assembling, out, backoff).await { return end }
                        }
                    }
                    ServerMsg::Image { part } => {
                        let Some(a) = assembling.as_mut() else {
                            if !out.send(PlaneMsg::Problem("state image part without a snapshot hello ignored".into())).await { return End::Quit }
                            continue;
                        };
                        if a.text.len() + part.len() > a.bytes {
                            return End::Lost("the state image is longer than announced".into());
                        }
                        a.text.push_str(&part);
                        if a.text.len() == a.bytes {
                            if let Some(end) = finish(&mut assembling, out, backoff).await { return end }
                        }
                    }
                    ServerMsg::Event { seq, record } => {
                        let raw = Raw::deserialize(&record).map_err(|e| sanitize(&e.to_string()).to_string());
                        match on_event(seq, raw.as_ref(), plan.as_deref(), resume, assembling.is_some()) {
                            Step::Skip => {}
                            Step::Tell(m) => if !out.send(m).await { return End::Quit },
                            Step::End(end) => return end,
                        }
                    }
                    ServerMsg::Exercise { now, speed, paused, injects } => {
                        let rate = if paused { 0.0 } else { speed.clamp(0.0, 1.0e6) };
                        *clock = Clock { at: Some((now, Instant::now())), speed: rate };
                        let ex = crate::core::exercise::Exercise { paused, speed, injects };
                        if !out.send(PlaneMsg::Exercise(ex)).await { return End::Quit }
                        if !out.send(PlaneMsg::Clock(now)).await { return End::Quit }
                    }
                    ServerMsg::Heartbeat { now, .. } => {
                        clock.at = Some((now, Instant::now()));
                        let seq = resume.as_ref().map_or(0, |r| r.1);
                        if let Err(e) = send(&mut ws, &ClientMsg::Heartbeat { seq }).await { return End::Lost(e) }
                        if !out.send(PlaneMsg::Clock(now)).await { return End::Quit }
                    }
                    ServerMsg::Error { code, message } => {
                        let message = sanitize(&message).to_string();
                        match code {
                            ErrorCode::Unauthorized | ErrorCode::UnsupportedVersion => return End::Refused(message),
                            _ => if !out.send(PlaneMsg::Problem(format!("control plane: {message}"))).await { return End::Quit },
                        }
                    }
                }
            }
            cmd = commands.recv() => {
                let Some(c) = cmd else { return End::Quit };
                let id = c.id.clone();
                if plan.is_none() || assembling.is_some() {
                    let not_sent = PlaneMsg::NotSent { id, reason: "not connected yet".into() };
                    if !out.send(not_sent).await { return End::Quit }
                    continue;
                }
                match send(&mut ws, &ClientMsg::Command(c)).await {
                    Ok(()) => if !out.send(PlaneMsg::Sent { id }).await { return End::Quit },
                    Err(e) => {
                        let reason = format!("the connection failed while sending ({})", sanitize(&e));
                        if !out.send(PlaneMsg::NotSent { id, reason }).await { return End::Quit }
                        return End::Lost(e);
                    }
                }
            }
            _ = ticker.tick() => {
                if last_heard.elapsed() > DEAD_AFTER {
                    return End::Lost(format!("no message for {}s", DEAD_AFTER.as_secs()));
                }
                if plan.is_some() {
                    if let Some(now) = clock.now() {
                        if !out.send(PlaneMsg::Clock(now)).await { return End::Quit }
                    }
                }
            }
        }
    }
}

/// The image of a snapshot hello has arrived whole: decode it and hand the hello over.
/// Returns how the session ends if it must.
async fn finish(
    assembling: &mut Option<Assembling>,
    out: &Out,
    backoff: &mut Backoff,
) -> Option<End> {
    let a = assembling.take()?;
    let mut hello = a.hello;
    let image = if a.bytes == 0 {
        None
    } else {
        match Image::decode(&a.text).and_then(|i| i.fits(&hello.plan).map(|()| i)) {
            Ok(i) => Some(Box::new(i)),
            Err(e) => {
                let problem = PlaneMsg::Problem(format!("state image refused: {}", sanitize(&e)));
                if !out.send(problem).await {
                    return Some(End::Quit);
                }
                return Some(End::Lost("unusable state image".into()));
            }
        }
    };
    hello.start = Start::Snapshot(image);
    backoff.reset();
    if !out.send(PlaneMsg::Hello(Box::new(hello))).await {
        return Some(End::Quit);
    }
    if !out.send(PlaneMsg::Link(Link::Connected)).await {
        return Some(End::Quit);
    }
    None
}

/// A connection error in the words a person in the room would use ("connection refused",
/// not "IO error: Connection refused (os error 111)").
fn plain(e: &tokio_tungstenite::tungstenite::Error) -> String {
    use std::io::ErrorKind;
    use tokio_tungstenite::tungstenite::Error;
    let text = match e {
        Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => "connection refused".to_string(),
            ErrorKind::ConnectionReset => "connection reset".to_string(),
            ErrorKind::ConnectionAborted => "connection aborted".to_string(),
            ErrorKind::TimedOut => "connection timed out".to_string(),
            ErrorKind::UnexpectedEof => "connection closed".to_string(),
            _ => {
                let t = io.to_string();
                t.split(" (os error").next().unwrap_or(&t).to_string()
            }
        },
        Error::Url(u) => format!("bad address: {u}"),
        // A control plane at its connection limits says why in the body.
        Error::Http(r) if r.status().as_u16() == 503 => {
            let why = r
                .body()
                .as_deref()
                .map(String::from_utf8_lossy)
                .map(|b| b.trim().to_string())
                .filter(|b| !b.is_empty())
                .unwrap_or_else(|| "no reason given".into());
            format!("the control plane is busy: {why}")
        }
        Error::Http(r) => format!(
            "the server answered HTTP {} (is it a warroom control plane?)",
            r.status()
        ),
        other => other.to_string(),
    };
    sanitize(&text).into()
}

/// An `event` message in the shape the control plane writes it, its record borrowed from
/// the message's text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventMsg<'a> {
    #[serde(rename = "type")]
    _kind: EventTag,
    seq: u64,
    #[serde(borrow)]
    record: Raw<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum EventTag {
    Event,
}

/// What to do with one event.
enum Step {
    /// Nothing: already applied.
    Skip,
    /// Hand this to the console.
    Tell(PlaneMsg),
    /// The session ends (out of order, or before the state image was whole).
    End(End),
}

/// Event `seq` with its record (or why its record did not read): in order after the last
/// one applied, checked against the plan like a fixture line. An event whose record is
/// refused still counts as received, so the events after it follow on.
fn on_event(
    seq: u64,
    raw: Result<&Raw<'_>, &String>,
    plan: Option<&Plan>,
    resume: &mut Option<(String, u64)>,
    assembling: bool,
) -> Step {
    if assembling {
        return Step::End(End::Lost(
            "an event arrived before the state image was complete".into(),
        ));
    }
    let (Some(plan), Some((_, last))) = (plan, resume.as_mut()) else {
        return Step::Tell(PlaneMsg::Problem("event before hello ignored".into()));
    };
    if seq <= *last {
        return Step::Skip; // already applied (a resend after reconnecting)
    }
    if seq != *last + 1 {
        // A gap: resynchronise rather than apply out of order.
        return Step::End(End::Lost(format!(
            "gap in events: expected {} but got {seq}",
            *last + 1
        )));
    }
    *last = seq;
    let mut records = Vec::new();
    let decoded = raw.map_err(String::clone).and_then(|raw| {
        decode(raw, plan, Strictness::Lenient, |r| records.push(r))
            .map_err(|p| format!("{}: {}", p.key, p.message))
    });
    match decoded {
        Ok(()) => Step::Tell(PlaneMsg::Events { records, seq }),
        Err(problem) => Step::Tell(PlaneMsg::Problem(format!("event {seq} ignored: {problem}"))),
    }
}
