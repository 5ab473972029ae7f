//! The I/O of a planned rollout besides the consoles: the task that runs the actuator, one
//! actuation at a time; the control plane's own Prometheus and Alertmanager polling; and the
//! watch for changes made to the target outside warroom.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::Config;
use crate::core::input::Input;
use crate::server::net::{ControlPlane, Job};
use crate::server::scenario::Actuated;
use crate::shell::actuator::{Actuate, Actuator, Observed};
use crate::shell::prometheus::Client;

/// Longest an actuator may take over one command beyond its own timeouts before the
/// conductor stops waiting and says the outcome is unknown.
pub const GUARD: Duration = Duration::from_secs(15 * 60);

/// What the conducting tasks need.
pub struct Conducting {
    pub actuator: Arc<Actuator>,
    /// The plan's `[prometheus]` / `[[slo]]` / `[alertmanager]`, with its client.
    pub sources: Option<(Arc<Config>, Client)>,
    /// How often the actuator's target is read for outside changes.
    pub watch_every: Option<Duration>,
}

impl Conducting {
    /// What a plan file's rollout needs, its secrets read (an I/O step, at start-up).
    ///
    /// # Errors
    /// A secret cannot be read or a client cannot be built; the message says which.
    pub fn for_plan(file: &crate::config::plan_file::PlanFile) -> Result<Conducting, String> {
        Self::for_plan_in(file, None)
    }

    /// [`Conducting::for_plan`] for a control plane whose journal is in `state`: an exec
    /// actuator notes its running command there, so that a restart can wait for it.
    ///
    /// # Errors
    /// As [`Conducting::for_plan`].
    pub fn for_plan_in(
        file: &crate::config::plan_file::PlanFile,
        state: Option<&std::path::Path>,
    ) -> Result<Conducting, String> {
        let actuator = match (Actuator::from_spec(&file.actuator)?, state) {
            (Actuator::Exec(e), Some(dir)) => {
                Actuator::Exec(e.with_pid_file(Some(dir.join("actuator.pid"))))
            }
            (a, _) => a,
        };
        let sources = match &file.sources {
            Some(config) => Some((Arc::new(config.clone()), Client::for_config(config)?)),
            None => None,
        };
        Ok(Conducting {
            actuator: Arc::new(actuator),
            sources,
            watch_every: Actuator::watch_every(&file.actuator),
        })
    }
}

/// Runs until the future is dropped (the control plane stops).
pub async fn run(
    plane: Arc<ControlPlane>,
    mut work: mpsc::UnboundedReceiver<Job>,
    with: Conducting,
) {
    let actuator = with.actuator.clone();
    let actuate = {
        let plane = plane.clone();
        async move {
            while let Some(job) = work.recv().await {
                let (a, recovering) = match job {
                    Job::Do(a) => (a, false),
                    Job::Recover(a) => (a, true),
                };
                let answer = tokio::time::timeout(GUARD, async {
                    if !recovering {
                        return actuator.actuate(&a).await;
                    }
                    // Never called blindly again: read back first.
                    match actuator.observe(&a).await {
                        Observed::Done { output } => Actuated::Applied {
                            output: format!("after the restart, {output}"),
                        },
                        Observed::NotDone => actuator.actuate(&a).await,
                        Observed::Cannot { reason } => Actuated::Unknown {
                            reason: format!(
                                "the control plane restarted while the actuator was at it, and \
                                 {reason}: check the target"
                            ),
                        },
                    }
                })
                .await
                .unwrap_or_else(|_| Actuated::Unknown {
                    reason: format!("no answer within {}s", GUARD.as_secs()),
                });
                plane.actuated(&a.id, answer);
            }
        }
    };
    let poll = {
        let plane = plane.clone();
        async move {
            let Some((config, client)) = with.sources else {
                return std::future::pending().await;
            };
            let (tx, mut rx) = mpsc::channel(256);
            let polling = crate::shell::metrics_poll::run(config, client, tx);
            let publishing = async {
                while let Some(input) = rx.recv().await {
                    if let Input::Metrics(m) = input {
                        plane.polled(m);
                    }
                }
            };
            tokio::join!(polling, publishing);
        }
    };
    let watch = {
        let actuator = with.actuator.clone();
        async move {
            let Some(every) = with.watch_every else {
                return std::future::pending().await;
            };
            let mut last_error: Option<String> = None;
            let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match actuator.outside_changes().await {
                    Ok(changes) => {
                        if last_error.take().is_some() {
                            plane.outside(&[crate::shell::actuator::Outside {
                                by: None,
                                text: "the target's change log answers again".into(),
                            }]);
                        }
                        plane.outside(&changes);
                    }
                    Err(e) if last_error.as_deref() != Some(e.as_str()) => {
                        plane.outside(&[crate::shell::actuator::Outside {
                            by: None,
                            text: format!("cannot read the target's change log: {e}"),
                        }]);
                        last_error = Some(e);
                    }
                    Err(_) => {}
                }
            }
        }
    };
    tokio::join!(actuate, poll, watch);
}
