//! The built-in demo: the Batch Patches v1.0.0 plan with short bakes, and its SLO models.

use super::TIMELINE_CAP;
use crate::core::plan::{Plan, SloSpec};
use crate::core::state::State;
use crate::core::time::{Offset, Span};
use crate::format::fixture::{self, FixtureError};
use crate::server::scenario::control_plane_source;
use crate::server::scenario::signals::generic_model;
use crate::server::scenario::signals::Fault;
use crate::server::scenario::signals::Model;
use crate::server::scenario::Scenario;
use std::io::Cursor;
use std::sync::Arc;

impl Scenario {
    /// The built-in demo drawn from the Batch Patches v1.0.0 plan: the flagship fixture's
    /// header (its four canary waves 10/25/50/100 %, SLOs, thresholds and checklist) with the
    /// bakes shortened to 40 s / 60 s / 60 s / 60 s, samples every 2 s and the error-rate
    /// rollback trigger at "above 10 for 20s". Wave 3 (50 %) develops a fault about 25 s
    /// after it starts: the error rate ramps to about 15 % and P95/P99 climb.
    ///
    /// `tick(Offset::ZERO)` signs off the pre-deployment checklist and starts wave 1; waves
    /// advance by themselves once baked with green gates.
    #[must_use]
    pub fn batch_patches_demo(seed: u64) -> Scenario {
        // The header is compiled in and a unit test opens it: a refusal here would mean the
        // binary was built from a broken fixture, which no caller could do anything about.
        Scenario::try_batch_patches_demo(seed)
            .expect("the built-in Batch Patches fixture header is a valid plan")
    }

    /// [`Scenario::batch_patches_demo`], with the (never expected) refusal of the built-in
    /// header as an error instead of a panic.
    ///
    /// # Errors
    /// The compiled-in fixture header is refused.
    pub fn try_batch_patches_demo(seed: u64) -> Result<Scenario, FixtureError> {
        let plan = demo_plan()?;
        let state = State::new(plan.clone(), control_plane_source(), TIMELINE_CAP);
        let models = plan
            .spec
            .slos
            .iter()
            .map(|spec| demo_model(&plan, spec).unwrap_or_else(|| generic_model(spec, None)))
            .collect();
        let fault = plan.wave(DEMO_FAULT_WAVE).map(|wave| Fault {
            wave,
            after: DEMO_FAULT_AFTER,
            ramp: DEMO_FAULT_RAMP,
            onset: None,
            mitigated: None,
        });
        let mut sc = Scenario::with(state, seed, true, models, Offset::ZERO);
        sc.next_sample = Offset::ZERO;
        sc.start_at = Some(Offset::ZERO);
        sc.fault = fault;
        Ok(sc)
    }
}

/// The flagship fixture; its header is the demo's plan.
pub(super) const DEMO_FIXTURE: &str =
    include_str!("../../../fixtures/batch-patches-wave3-rollback.jsonl");

pub(super) const DEMO_FILE: &str = "builtin:batch-patches-wave3-rollback";

/// Bakes of the demo's four waves, in seconds: the whole story runs in a few minutes.
pub(super) const DEMO_BAKES: [i64; 4] = [40, 60, 60, 60];

pub(super) const DEMO_INTERVAL: Span = Span::from_secs(2);

/// The demo's error-rate rollback trigger: above 10 % for this long.
pub(super) const DEMO_TRIGGER_FOR: Span = Span::from_secs(20);

/// The wave that develops the fault, how long after it starts, and how fast it builds.
pub(super) const DEMO_FAULT_WAVE: &str = "w3";

pub(super) const DEMO_FAULT_AFTER: Span = Span::from_secs(25);

pub(super) const DEMO_FAULT_RAMP: Span = Span::from_secs(20);

/// The demo's plan: the flagship fixture's header with its bakes, sampling and error-rate
/// trigger shortened to minutes.
pub(super) fn demo_plan() -> Result<Arc<Plan>, FixtureError> {
    let reader = fixture::open(DEMO_FILE, Cursor::new(DEMO_FIXTURE.as_bytes()))?;
    let mut plan = reader.fixture().plan.spec.clone();
    for (w, secs) in plan.waves.iter_mut().zip(DEMO_BAKES) {
        w.bake = Some(Span::from_secs(secs));
    }
    plan.sample_interval = DEMO_INTERVAL;
    for s in plan.slos.iter_mut().filter(|s| s.id == "error_rate") {
        for t in &mut s.triggers {
            t.for_ = DEMO_TRIGGER_FOR;
        }
    }
    Plan::new(plan).map(Arc::new).map_err(|e| FixtureError {
        file: DEMO_FILE.into(),
        line: 0,
        column: 0,
        message: format!("demo plan: {e}"),
    })
}

/// The demo's SLIs, by SLO id: legacy and v1.0.0 levels near the fixture's, and the fault's
/// weight on v1.0.0 (at 50 % that is about 15 % errors, P95 ~720 ms, P99 ~1.2 s).
pub(super) fn demo_model(plan: &Plan, spec: &SloSpec) -> Option<Model> {
    let level = |old, new, fault, noise_abs, noise_rel| Model::Level {
        old,
        new,
        fault,
        noise_abs,
        noise_rel,
        integer: false,
        percent: false,
    };
    Some(match spec.id.as_str() {
        "error_rate" => Model::Level {
            old: 1.6,
            new: 1.5,
            fault: 27.0,
            noise_abs: 0.12,
            noise_rel: 0.03,
            integer: false,
            percent: true,
        },
        "success_rate" => Model::Complement(plan.slo("error_rate")?),
        "p95_latency" => level(310.0, 322.0, 800.0, 8.0, 0.02),
        "p99_latency" => level(405.0, 425.0, 1500.0, 12.0, 0.03),
        "memory" => level(118.0, 124.0, 30.0, 1.0, 0.0),
        "cpu" => level(35.0, 37.0, 14.0, 0.8, 0.0),
        "invariant_violations" => Model::Level {
            old: 0.0,
            new: 0.0,
            fault: 14.0,
            noise_abs: 0.0,
            noise_rel: 0.15,
            integer: true,
            percent: false,
        },
        _ => return None,
    })
}
