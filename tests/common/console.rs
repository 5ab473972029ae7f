//! A console in a test: the real WebSocket client feeding the console's own reducer, with
//! everything it saw kept for the test to compare.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use warroom::core::app::App;
use warroom::core::command::{Action, Command, OutcomeKind, Role};
use warroom::core::input::{Input, PlaneMsg as Feed, Start};
use warroom::core::record::Record;
use warroom::shell::ws_client::{self, Options};

/// The connection's reports, as the console's input channel carries them, unwrapped.
pub fn feed(
    opts: Options,
    commands: mpsc::Receiver<Command>,
) -> (mpsc::Receiver<Feed>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Input>(1024);
    let (out, feed) = mpsc::channel(1024);
    let task = tokio::spawn(async move {
        let client = tokio::spawn(ws_client::run(opts, commands, tx));
        while let Some(input) = rx.recv().await {
            if let Input::ControlPlane(m) = input {
                if out.send(m).await.is_err() {
                    break;
                }
            }
        }
        client.abort();
    });
    (feed, task)
}

pub struct Console {
    pub feed: mpsc::Receiver<Feed>,
    pub commands: mpsc::Sender<Command>,
    pub task: tokio::task::JoinHandle<()>,
    /// Every event's records, with the event's sequence number.
    pub seen: Vec<(u64, Record)>,
    pub role: Option<Role>,
    pub problems: Vec<String>,
    /// The sequence number the first snapshot stood for (events after it arrive one by one).
    pub first: Option<u64>,
    /// Every hello: its session, its sequence number, whether it came with the state, and
    /// how many records had been seen before it.
    pub hellos: Vec<(String, u64, bool, usize)>,
    /// What the console's own reducer makes of all of it.
    pub app: App,
}

impl Console {
    pub fn connect(url: &str, role: Role, token: Option<&str>) -> Console {
        let (commands, cmd_rx) = mpsc::channel(16);
        let opts = Options {
            url: url.into(),
            actor: "tester@loopback".into(),
            role,
            token: token.map(String::from),
            seed: 1,
        };
        let (feed, task) = feed(opts, cmd_rx);
        Console {
            feed,
            commands,
            task,
            seen: Vec::new(),
            role: None,
            problems: Vec::new(),
            first: None,
            hellos: Vec::new(),
            app: App::live(
                Arc::new(warroom::core::plan::Plan::placeholder()),
                warroom::core::outbox::Outbox::new(role, "tester@loopback".into(), "t".into()),
                None,
                false,
            ),
        }
    }

    /// Reads feeds until `until` holds for what has been seen (or panics after `secs`).
    pub async fn until(&mut self, secs: u64, what: &str, until: impl Fn(&Console) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !until(self) {
            let Ok(Some(msg)) = tokio::time::timeout_at(deadline, self.feed.recv()).await else {
                panic!(
                    "timed out waiting for {what}; seen {} records, problems {:?}",
                    self.seen.len(),
                    self.problems
                )
            };
            match &msg {
                Feed::Hello(h) => {
                    self.role = Some(h.role);
                    let snapshot = matches!(h.start, Start::Snapshot(_));
                    if snapshot {
                        // A fresh start: the image stands for everything up to `seq`.
                        self.first.get_or_insert(h.seq);
                    }
                    self.hellos
                        .push((h.session.clone(), h.seq, snapshot, self.seen.len()));
                }
                Feed::Events { records, seq } => {
                    self.seen.extend(records.iter().map(|r| (*seq, r.clone())));
                }
                Feed::Problem(p) | Feed::Refused(p) => self.problems.push(p.clone()),
                _ => {}
            }
            self.app.apply(Input::ControlPlane(msg));
        }
    }

    /// Waits until the rollout's first wave has moved.
    pub async fn until_started(&mut self) {
        self.until(10, "wave 1 active", |c| {
            c.app.state.current_wave().is_some()
        })
        .await;
    }

    /// The id of the wave this console sees as current.
    pub fn current_wave(&self) -> String {
        let s = &self.app.state;
        s.plan.spec.waves[s.current_wave().unwrap()].id.clone()
    }

    pub fn outcome(&self, id: &str) -> Option<(OutcomeKind, Option<String>)> {
        self.app
            .state
            .commands
            .iter()
            .find(|c| &*c.id == id)
            .and_then(|c| c.outcome.clone())
            .map(|(k, r)| (k, r.map(String::from)))
    }

    /// The rollback, asserted to be the conductor's own, with a reason that says `because`
    /// (a trigger's policy acting).
    pub fn conductor_rollback(&self, because: &str) -> warroom::core::state::CommandInfo {
        let rollback = self
            .app
            .state
            .commands
            .iter()
            .find(|k| k.action == Action::Rollback)
            .cloned()
            .unwrap();
        assert_eq!(
            rollback.by.as_deref(),
            Some(warroom::server::scenario::CONDUCTOR)
        );
        assert!(
            rollback
                .reason
                .as_deref()
                .is_some_and(|r| r.contains(because)),
            "{:?}",
            rollback.reason
        );
        rollback
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn command(id: &str, action: Action, wave: Option<&str>, reason: Option<&str>) -> Command {
    Command {
        id: id.into(),
        action,
        actor: "tester@loopback".into(),
        reason: reason.map(String::from),
        wave: wave.map(String::from),
        item: None,
        session: None,
    }
}

/// A tick or untick (`action`) of checklist item `item`, with an optional note.
pub fn check(id: &str, action: Action, item: &str, note: Option<&str>) -> Command {
    Command::check(
        id.into(),
        action,
        "tester@loopback".into(),
        item.into(),
        note.map(String::from),
    )
}
