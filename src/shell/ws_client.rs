//! The console's connection to a control plane: connect, hello (resuming after the last
//! applied sequence number), then events in order — never one lost or applied twice across
//! any number of reconnects — with heartbeats, size limits, capped full-jitter backoff, and
//! commands retried under their own idempotency key until their outcome arrives.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::core::command::Command;
use crate::core::command::Role;
use crate::core::input::{Input, PlaneMsg};
use crate::core::plan::Plan;
use crate::core::record::{Body, Record};
use crate::core::source::Link;
use crate::core::time::Offset;
use crate::format::protocol::{ClientMsg, ErrorCode, Resume, ServerMsg, MAX_MESSAGE, PROTOCOL};
use crate::format::record::{decode, Raw, Strictness};

use crate::shell::backoff::Backoff;

/// No message at all for this long means the connection is dead (or half-open).
pub const DEAD_AFTER: Duration = Duration::from_secs(12);
/// A command with no outcome after this long is sent again, under the same id.
pub const RETRY_AFTER: Duration = Duration::from_secs(4);

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
    let mut plan: Option<Arc<Plan>> = None;
    let mut pending: HashMap<String, (Command, Instant)> = HashMap::new();
    let mut clock = Clock::default();
    loop {
        if !out
            .send(PlaneMsg::Link(Link::Connecting {
                attempt: backoff.attempt() + 1,
            }))
            .await
        {
            return;
        }
        let reason = match session(
            &opts,
            &mut resume,
            &mut plan,
            &mut pending,
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
        if !out
            .send(PlaneMsg::Link(Link::Down {
                reason: format!("{reason}; retrying in {:.1}s", wait.as_secs_f64()).into(),
            }))
            .await
        {
            return;
        }
        // Keep taking commands while down (they are sent, same ids, once connected again),
        // and keep the clock going: data from a dead source ages and turns stale on screen.
        let until = Instant::now() + wait;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => break,
                _ = tick.tick() => {
                    if let Some(now) = clock.now() {
                        if !out.send(PlaneMsg::Clock(now)).await { return }
                    }
                }
                cmd = commands.recv() => match cmd {
                    Some(c) => { pending.insert(c.id.clone(), (c, Instant::now() - RETRY_AFTER)); }
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

#[allow(clippy::too_many_arguments)]
async fn session(
    opts: &Options,
    resume: &mut Option<(String, u64)>,
    plan: &mut Option<Arc<Plan>>,
    pending: &mut HashMap<String, (Command, Instant)>,
    commands: &mut mpsc::Receiver<Command>,
    out: &Out,
    backoff: &mut Backoff,
    clock: &mut Clock,
) -> End {
    let config = WebSocketConfig {
        max_message_size: Some(MAX_MESSAGE),
        max_frame_size: Some(MAX_MESSAGE),
        ..WebSocketConfig::default()
    };
    let connect =
        tokio_tungstenite::connect_async_with_config(opts.url.as_str(), Some(config), false);
    let mut ws = match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => return End::Lost(crate::core::sanitize::sanitize(&e.to_string()).into()),
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
    // The control plane's clock, extrapolated between messages.
    let mut last_heard = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut greeted = false;
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
                        let _ = out.send(PlaneMsg::Problem(format!("message over the 1 MiB limit dropped ({})", crate::core::sanitize::sanitize(&e.to_string())))).await;
                        return End::Lost("oversized message".into());
                    }
                    Some(Err(e)) => return End::Lost(crate::core::sanitize::sanitize(&e.to_string()).into()),
                };
                let parsed: ServerMsg = match serde_json::from_str(&text) {
                    Ok(m) => m,
                    Err(e) => {
                        let msg = format!("malformed message ignored: {}", crate::core::sanitize::sanitize(&e.to_string()));
                        if !out.send(PlaneMsg::Problem(msg)).await { return End::Quit }
                        continue;
                    }
                };
                match parsed {
                    ServerMsg::Hello { protocol, session, role, rollout, seq, now, speed, mode, snapshot, .. } => {
                        if protocol.split('.').next() != PROTOCOL.split('.').next() {
                            return End::Refused(format!("the control plane speaks protocol {protocol}; this console speaks {PROTOCOL}"));
                        }
                        let resolved = match Plan::new(rollout) {
                            Ok(r) => Arc::new(r),
                            Err(e) => return End::Refused(format!("the control plane's plan does not hold together: {e}")),
                        };
                        let same_session = resume.as_ref().is_some_and(|r| r.0 == session);
                        let reset = if mode == Resume::Snapshot || !same_session {
                            let mut records = Vec::new();
                            for v in &snapshot {
                                if let Err(p) = decode_value(v, &resolved, &mut records) {
                                    if !out.send(PlaneMsg::Problem(format!("snapshot record refused: {p}"))).await { return End::Quit }
                                }
                            }
                            *resume = Some((session, seq));
                            Some(records)
                        } else {
                            *resume = Some((session, resume.as_ref().map_or(0, |r| r.1)));
                            None
                        };
                        *plan = Some(resolved.clone());
                        *clock = Clock { at: Some((now, Instant::now())), speed: speed.clamp(0.0, 1.0e6) };
                        greeted = true;
                        backoff.reset();
                        let applied = resume.as_ref().map_or(0, |r| r.1);
                        if !out.send(PlaneMsg::Hello { plan: resolved, role, reset, now, speed, seq: applied }).await { return End::Quit }
                        if !out.send(PlaneMsg::Link(Link::Connected)).await { return End::Quit }
                        // Commands still without an outcome go again, under the same ids.
                        for (c, at) in pending.values_mut() {
                            if role == Role::Commander {
                                if let Err(e) = send(&mut ws, &ClientMsg::Command(c.clone())).await { return End::Lost(e) }
                                *at = Instant::now();
                            }
                        }
                    }
                    ServerMsg::Event { seq, record } => {
                        let (Some(p), Some((_, last))) = (plan.as_ref(), resume.as_mut()) else {
                            let _ = out.send(PlaneMsg::Problem("event before hello ignored".into())).await;
                            continue;
                        };
                        if seq <= *last {
                            continue; // already applied (a resend after reconnecting)
                        }
                        if seq != *last + 1 {
                            // A gap: resynchronise rather than apply out of order.
                            return End::Lost(format!("gap in events: expected {} but got {seq}", *last + 1));
                        }
                        let mut records = Vec::new();
                        if let Err(problem) = decode_value(&record, p, &mut records) {
                            *last = seq;
                            if !out.send(PlaneMsg::Problem(format!("event {seq} ignored: {problem}"))).await { return End::Quit }
                            continue;
                        }
                        for r in &records {
                            if let Body::Outcome { id, .. } = &r.body {
                                pending.remove(&**id);
                            }
                        }
                        *last = seq;
                        if !out.send(PlaneMsg::Events { records, seq }).await { return End::Quit }
                    }
                    ServerMsg::Heartbeat { now, .. } => {
                        clock.at = Some((now, Instant::now()));
                        let seq = resume.as_ref().map_or(0, |r| r.1);
                        if let Err(e) = send(&mut ws, &ClientMsg::Heartbeat { seq }).await { return End::Lost(e) }
                        if !out.send(PlaneMsg::Clock(now)).await { return End::Quit }
                    }
                    ServerMsg::Error { code, message } => {
                        let message = crate::core::sanitize::sanitize(&message).to_string();
                        match code {
                            ErrorCode::Unauthorized | ErrorCode::UnsupportedVersion => return End::Refused(message),
                            _ => if !out.send(PlaneMsg::Problem(format!("control plane: {message}"))).await { return End::Quit },
                        }
                    }
                }
            }
            cmd = commands.recv(), if greeted => {
                let Some(c) = cmd else { return End::Quit };
                pending.insert(c.id.clone(), (c.clone(), Instant::now()));
                if let Err(e) = send(&mut ws, &ClientMsg::Command(c)).await { return End::Lost(e) }
            }
            _ = ticker.tick() => {
                if last_heard.elapsed() > DEAD_AFTER {
                    return End::Lost(format!("no message for {}s", DEAD_AFTER.as_secs()));
                }
                if greeted {
                    if let Some(now) = clock.now() {
                        if !out.send(PlaneMsg::Clock(now)).await { return End::Quit }
                    }
                    for (c, at) in pending.values_mut() {
                        if at.elapsed() >= RETRY_AFTER {
                            if let Err(e) = send(&mut ws, &ClientMsg::Command(c.clone())).await { return End::Lost(e) }
                            *at = Instant::now();
                        }
                    }
                }
            }
        }
    }
}

/// A record object from the wire, checked against the plan like a fixture line.
fn decode_value(v: &serde_json::Value, plan: &Plan, out: &mut Vec<Record>) -> Result<(), String> {
    let raw = Raw::deserialize(v)
        .map_err(|e| crate::core::sanitize::sanitize(&e.to_string()).to_string())?;
    decode(&raw, plan, Strictness::Lenient, |r| out.push(r))
        .map_err(|p| format!("{}: {}", p.key, p.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_with_full_jitter() {
        let mut b = Backoff::new(3);
        let ceilings: Vec<u128> = (0..8)
            .map(|_| {
                let c = b.ceiling();
                let d = b.next_delay();
                assert!(d <= c);
                c.as_millis()
            })
            .collect();
        assert_eq!(ceilings, vec![100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        b.reset();
        assert_eq!(b.ceiling().as_millis(), 100);
        // Full jitter: over many draws the waits spread over the whole range.
        let mut b = Backoff::new(9);
        for _ in 0..6 {
            b.next_delay();
        }
        let draws: Vec<Duration> = (0..200).map(|_| b.next_delay()).collect();
        assert!(
            draws.iter().any(|d| d.as_millis() < 1000)
                && draws.iter().any(|d| d.as_millis() > 4000)
        );
    }
}
