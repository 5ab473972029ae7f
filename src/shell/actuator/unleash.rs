//! The Unleash actuator: a feature flag's gradual rollout (`flexibleRollout`) in one
//! environment, driven through Unleash's admin API, and the flag's changes made outside
//! warroom read back from Unleash's event search.

use std::time::Duration;

use reqwest::Url;

use crate::server::scenario::{Actuated, Actuation};

use super::Outside;

/// One flag in one environment of one project.
pub struct Unleash {
    url: Url,
    feature: String,
}

impl Unleash {
    /// # Errors
    /// Never yet.
    pub fn new(
        url: Url,
        _token: String,
        _project: String,
        _environment: String,
        feature: String,
        _timeout: Duration,
    ) -> Result<Unleash, String> {
        Ok(Unleash { url, feature })
    }

    /// Refuses every command: this actuator is not built yet.
    #[expect(
        clippy::unused_async,
        reason = "the same signature as the other actuators"
    )]
    pub async fn actuate(&self, a: &Actuation) -> Actuated {
        Actuated::Failed {
            reason: format!(
                "{}: the unleash actuator ({} at {}) is not built yet",
                a.verb.word(),
                self.feature,
                self.url
            ),
        }
    }

    /// Nothing yet.
    ///
    /// # Errors
    /// Never yet.
    #[expect(
        clippy::unused_async,
        reason = "the same signature as the other actuators"
    )]
    pub async fn outside_changes(&self) -> Result<Vec<Outside>, String> {
        Ok(Vec::new())
    }
}
