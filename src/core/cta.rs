//! The call to action: the one line that tells the room what the moment asks of it, with the
//! key that does it. A fired rollback trigger or a page-level burn asks for a decision until
//! someone acts (pauses or rolls back) or it clears; a wave whose bake is done waits for
//! approval.

use super::severity::Severity;
use super::state::State;
use super::wave::WaveStatus;
use super::words::{burn_label, trigger_label};

/// What the line says, and how loud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub text: String,
    /// The keys that answer it ("B to roll back"), or who can.
    pub key: String,
    pub severity: Severity,
}

/// The call to action now, if the moment asks for one. `keys`: name the keys that answer it
/// (a seat that can send commands, or a replay rehearsing one); an observer is told who can.
#[must_use]
pub fn call(s: &State, keys: bool) -> Option<Call> {
    let plan = &s.plan.spec;
    let hint = |k: &str| {
        if keys {
            k.to_string()
        } else {
            "a commander's seat decides".into()
        }
    };
    let Some(cur) = s.current_wave() else {
        let ready = s.tally().blocking == 0 && !plan.waves.is_empty();
        return ready.then(|| Call {
            text: format!("ready to start {}: waiting for approval", s.wave_label(0)),
            key: hint("A to start it"),
            severity: Severity::Info,
        });
    };
    let status = s.waves[cur].status;
    if status != WaveStatus::Active {
        return None;
    }
    for (spec, st) in plan.slos.iter().zip(&s.slos) {
        if let Some(i) = st.breaches.iter().position(|b| b.fired) {
            return Some(Call {
                text: format!(
                    "{} {}: rollback trigger FIRED",
                    spec.name,
                    trigger_label(spec, i)
                ),
                key: hint("B to roll back"),
                severity: Severity::Critical,
            });
        }
    }
    for (spec, st) in plan.slos.iter().zip(&s.slos) {
        if let Some(b) = st.burn.as_deref().filter(|b| b.pages()) {
            return Some(Call {
                text: format!(
                    "{}: error budget burning at PAGE level ({})",
                    spec.name,
                    burn_label(b)
                ),
                key: hint("B to roll back, P to pause"),
                severity: Severity::Critical,
            });
        }
    }
    let (_, done, bake) = s.bake_left()?;
    let next = s.next_wave()?;
    if done < bake {
        return None;
    }
    let blocking: Vec<_> = s.gates_sorted().into_iter().filter(|g| !g.green).collect();
    let step = plan.strategy.step_word();
    Some(if blocking.is_empty() {
        Call {
            text: format!(
                "{step} {} baked, gates green: {} waiting for approval",
                cur + 1,
                s.wave_label(next)
            ),
            key: hint("A to advance"),
            severity: Severity::Info,
        }
    } else {
        let n = blocking.len();
        Call {
            text: format!(
                "{step} {} bake done, {n} gate{} blocking {}: {}",
                cur + 1,
                if n == 1 { "" } else { "s" },
                s.wave_label(next),
                blocking
                    .iter()
                    .map(|g| g.label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            key: "Enter on a gate says why".into(),
            severity: Severity::Warning,
        }
    })
}
