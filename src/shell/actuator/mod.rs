//! Actuators: what carries a planned rollout's commands out in the world. The conductor
//! (pure, in `server::scenario`) hands out an [`Actuation`]; the shell runs it here and hands
//! the [`Actuated`] answer back with the time.
//!
//! One actuator per plan, one of four kinds: `exec` (a command per verb), `webhook` (a
//! signed HTTP POST per command), `unleash` (a feature flag's gradual rollout) and `simulate`
//! (nothing outside: applied at once).

pub mod exec;
pub mod unleash;
pub mod webhook;

use crate::config::plan_file::ActuatorSpec;
use crate::server::scenario::{Actuated, Actuation};

/// A change made outside warroom to what the actuator drives (a flag flipped in Unleash's
/// UI, say): it goes on every console's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outside {
    /// Who made it, as the target system names them.
    pub by: Option<String>,
    /// What changed, in one line.
    pub text: String,
}

/// What reading the target back says about an actuation (after a restart that came
/// between asking the actuator and hearing its answer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observed {
    /// The change is there; `output` says what was read.
    Done { output: String },
    /// The change is not there: it can be carried out now.
    NotDone,
    /// The target cannot tell (or cannot be read): a person must look.
    Cannot { reason: String },
}

/// What every actuator promises: it carries out one command and says how it went, never
/// panics, and never hangs past its own timeout. `Applied` only once the change is made (and,
/// where the target can tell, read back); `Failed` when nothing changed, in the target's own
/// words; `Unknown` when it cannot tell (no answer in time), which pauses the rollout for a
/// person. Those that can also report changes made outside warroom.
pub trait Actuate {
    /// Carries out one command.
    fn actuate(&self, a: &Actuation) -> impl std::future::Future<Output = Actuated> + Send;

    /// Whether `a`'s change is already in the target. Actuators that cannot read their
    /// target back say so.
    fn observe(&self, _a: &Actuation) -> impl std::future::Future<Output = Observed> + Send {
        std::future::ready(Observed::Cannot {
            reason: "this actuator cannot read its target back".into(),
        })
    }

    /// Changes made outside warroom since the previous call (the first sets the start).
    ///
    /// # Errors
    /// The target cannot be read; the message says why.
    fn outside_changes(
        &self,
    ) -> impl std::future::Future<Output = Result<Vec<Outside>, String>> + Send {
        std::future::ready(Ok(Vec::new()))
    }
}

/// The `simulate` actuator: nothing outside, every command applied at once.
pub struct Simulate;

impl Actuate for Simulate {
    async fn actuate(&self, _: &Actuation) -> Actuated {
        Actuated::Applied {
            output: String::new(),
        }
    }

    /// Nothing outside: carrying it out (again) changes nothing anywhere.
    async fn observe(&self, _: &Actuation) -> Observed {
        Observed::NotDone
    }
}

impl Actuate for exec::Exec {
    async fn actuate(&self, a: &Actuation) -> Actuated {
        exec::Exec::actuate(self, a).await
    }

    async fn observe(&self, a: &Actuation) -> Observed {
        exec::Exec::observe(self, a).await
    }
}

impl Actuate for webhook::Webhook {
    async fn actuate(&self, a: &Actuation) -> Actuated {
        webhook::Webhook::actuate(self, a).await
    }
}

impl Actuate for unleash::Unleash {
    async fn actuate(&self, a: &Actuation) -> Actuated {
        unleash::Unleash::actuate(self, a).await
    }

    async fn observe(&self, a: &Actuation) -> Observed {
        unleash::Unleash::observe(self, a).await
    }

    async fn outside_changes(&self) -> Result<Vec<Outside>, String> {
        unleash::Unleash::outside_changes(self).await
    }
}

/// The plan's actuator, ready to run: one of the four kinds.
pub enum Actuator {
    /// Nothing outside: every command is applied at once.
    Simulate,
    Exec(exec::Exec),
    Webhook(webhook::Webhook),
    Unleash(unleash::Unleash),
}

impl Actuator {
    /// The plan's actuator, its secrets read (an I/O step, at start-up).
    ///
    /// # Errors
    /// A secret cannot be read, or the HTTP client cannot be built; the message says which.
    pub fn from_spec(spec: &ActuatorSpec) -> Result<Actuator, String> {
        Ok(match spec {
            ActuatorSpec::Simulate { .. } => Actuator::Simulate,
            ActuatorSpec::Exec {
                verbs,
                observe,
                timeout,
                dir,
            } => Actuator::Exec(
                exec::Exec::new(verbs.clone(), *timeout, dir.clone()).with_observe(observe.clone()),
            ),
            ActuatorSpec::Webhook {
                url,
                secret,
                timeout,
                retries,
            } => {
                let secret = secret
                    .as_ref()
                    .map(|s| s.read().map_err(|e| format!("actuator.secret: {e}")))
                    .transpose()?;
                Actuator::Webhook(webhook::Webhook::new(
                    url.clone(),
                    secret,
                    *timeout,
                    *retries,
                )?)
            }
            ActuatorSpec::Unleash {
                url,
                token,
                project,
                environment,
                feature,
                timeout,
                ..
            } => {
                let token = token.read().map_err(|e| format!("actuator.token: {e}"))?;
                Actuator::Unleash(unleash::Unleash::new(
                    url.clone(),
                    token,
                    project.clone(),
                    environment.clone(),
                    feature.clone(),
                    timeout.as_duration(),
                )?)
            }
        })
    }

    /// How often changes made outside warroom are read, for actuators that can tell.
    #[must_use]
    pub fn watch_every(spec: &ActuatorSpec) -> Option<std::time::Duration> {
        match spec {
            ActuatorSpec::Unleash { poll, .. } => Some(poll.as_duration()),
            _ => None,
        }
    }
}

impl Actuate for Actuator {
    async fn actuate(&self, a: &Actuation) -> Actuated {
        match self {
            Actuator::Simulate => Simulate.actuate(a).await,
            Actuator::Exec(e) => Actuate::actuate(e, a).await,
            Actuator::Webhook(w) => Actuate::actuate(w, a).await,
            Actuator::Unleash(u) => Actuate::actuate(u, a).await,
        }
    }

    async fn observe(&self, a: &Actuation) -> Observed {
        match self {
            Actuator::Simulate => Simulate.observe(a).await,
            Actuator::Exec(e) => Actuate::observe(e, a).await,
            Actuator::Webhook(w) => Actuate::observe(w, a).await,
            Actuator::Unleash(u) => Actuate::observe(u, a).await,
        }
    }

    async fn outside_changes(&self) -> Result<Vec<Outside>, String> {
        match self {
            Actuator::Unleash(u) => Actuate::outside_changes(u).await,
            Actuator::Simulate | Actuator::Exec(_) | Actuator::Webhook(_) => Ok(Vec::new()),
        }
    }
}
