//! Everything that reaches a console, from any source: keys, the terminal's size, the
//! control plane, the metric sources, the replay engine, and the sinks reporting a failure.
//! The shell turns the world into these; [`App::apply`](super::app::App::apply) is the only
//! thing that reads them.

use std::sync::Arc;

use super::command::Role;
use super::intent::Key;
use super::plan::{Plan, SloSpec};
use super::playback::ReplayInfo;
use super::record::{Body, Record};
use super::source::{Link, SourceStatus};
use super::state::{Image, State};
use super::time::{Offset, Span};

/// One input to the console.
#[derive(Debug)]
pub enum Input {
    Key(Key),
    /// The terminal was resized: draw again.
    Resized,
    /// The loop measured the layout before drawing: this many timeline rows fit on screen
    /// (the page `PgUp` and `PgDn` move by).
    Layout {
        timeline_rows: usize,
    },
    ControlPlane(PlaneMsg),
    Metrics(MetricsMsg),
    Replay(ReplayMsg),
    /// Writing to a sink failed. `command` names the command that was therefore not sent.
    SinkFailed {
        sink: Sink,
        error: String,
        command: Option<String>,
    },
    /// SIGTERM, SIGHUP, or the terminal's input ended.
    Quit,
}

/// The sinks that can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sink {
    Audit,
    Recording,
    /// Standard output (headless NDJSON).
    Output,
    /// The connection's queue of commands to send.
    Connection,
    /// The status updates' directory, and the clipboard.
    Status,
}

impl Sink {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Sink::Audit => "audit log",
            Sink::Recording => "recording",
            Sink::Output => "output",
            Sink::Connection => "connection",
            Sink::Status => "status update file",
        }
    }
}

/// A control plane's hello, with the state image when the console must start over.
#[derive(Clone, Debug)]
pub struct Hello {
    /// This run of the control plane: another value means it restarted.
    pub session: String,
    pub plan: Arc<Plan>,
    /// The seat granted.
    pub role: Role,
    /// The rollout's time at the control plane, and its speed.
    pub now: Offset,
    pub speed: f64,
    /// The newest event the control plane had published.
    pub seq: u64,
    pub start: Start,
}

/// Where a hello leaves the console.
#[derive(Clone, Debug)]
pub enum Start {
    /// The events after the last one this console applied follow (same session).
    Resume,
    /// The state is the image's (`None`: nothing has happened yet); newer events follow.
    Snapshot(Option<Box<Image>>),
}

/// What the connection to the control plane reports.
#[derive(Clone, Debug)]
pub enum PlaneMsg {
    Hello(Box<Hello>),
    /// Events, in sequence order, each once.
    Events {
        records: Vec<Record>,
        seq: u64,
    },
    Link(Link),
    /// The control plane's clock moved (heartbeats, and extrapolated between them).
    Clock(Offset),
    /// An exercise's clock changed, or its injects still to come (protocol 2.2).
    Exercise(super::exercise::Exercise),
    /// Something arrived that could not be used (malformed, oversized, unknown): shown on the
    /// timeline, never fatal.
    Problem(String),
    /// The control plane refused this console for good (bad token, wrong version).
    Refused(String),
    /// A command's frame was written to the socket.
    Sent {
        id: String,
    },
    /// A command was not written (no connection, or it failed while writing).
    NotSent {
        id: String,
        reason: String,
    },
}

/// What Prometheus and Alertmanager report.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricsMsg {
    /// A source's health, for the header ("prometheus", "alertmanager").
    Status(SourceStatus),
    /// A gauge for a series first seen (from a `series = "each"` query), before its samples.
    AddSlo(SloSpec),
    /// Older samples for a gauge (Unix ms, oldest first), from the start-up range queries.
    Backfill {
        id: Box<str>,
        points: Vec<(i64, Option<f64>)>,
    },
    /// A sample: the query's value at `at_ms` (Unix ms). `None` is no data.
    Sample {
        id: Box<str>,
        at_ms: i64,
        value: Option<f64>,
    },
    /// The query failed; the words are the server's own where it gave any.
    Failed { id: Box<str>, error: String },
    /// Alerts that fired, changed or resolved (`Body::Alert`), to stamp with the console's now.
    Alerts(Vec<Body>),
}

/// What the replay engine reports.
#[derive(Debug)]
pub enum ReplayMsg {
    /// Apply these records, then move the clock to `clock`.
    Batch {
        records: Vec<Record>,
        clock: Offset,
        info: ReplayInfo,
    },
    /// Replace the state (a seek restored a snapshot), then apply these records and move
    /// the clock to `clock`.
    Restore {
        state: Box<State>,
        records: Vec<Record>,
        clock: Offset,
        info: ReplayInfo,
    },
    /// Playback changed without new records (pause, speed).
    Info(ReplayInfo),
    /// A quiet stretch was played fast: this much fixture time went by in at most the idle
    /// limit (`--idle-limit`) of wall time.
    Skipped { quiet: Span, limit: Span },
    /// Reading failed after start-up (the file changed under us).
    Failed(String),
    /// The check of the file (after the first frame) is this far, in percent of its bytes.
    Checking(u8),
    /// The check read every line: the file is good.
    Checked,
    /// The check refused a line (`FILE:LINE:COLUMN: what`): the console ends, exit status 1.
    Refused(String),
}
