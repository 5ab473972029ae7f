//! `warroom serve`: the control plane.

use crate::shell::fixtures;
use color_eyre::eyre::{bail, eyre};
use color_eyre::Result;

pub(super) fn serve(args: &crate::cli::ServeArgs) -> Result<i32> {
    use crate::server::net::{self, ControlPlane, Tokens};
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        bail!(
            "--listen {}: not a loopback address; add --allow-remote to listen there",
            args.listen
        );
    }
    if !(args.speed > 0.0 && args.speed <= 1000.0) {
        bail!(
            "--speed {}: use a number above 0 and at most 1000",
            args.speed
        );
    }
    let tokens = match &args.tokens {
        Some(p) => Tokens::parse(
            &std::fs::read_to_string(p).map_err(|e| eyre!("--tokens {}: {e}", p.display()))?,
        )
        .map_err(|e| eyre!("--tokens {}: {e}", p.display()))?,
        None => Tokens::default(),
    };
    if let Some(path) = &args.plan {
        return conduct(args, path, tokens);
    }
    let plane = match &args.fixture {
        None => {
            let scenario = crate::server::scenario::Scenario::batch_patches_demo(args.seed);
            let dir = state_dir(args, &scenario.plan().spec.id);
            ControlPlane::new_in(scenario, args.speed, tokens, dir.as_deref())
                .map_err(|e| eyre!("{e}"))?
        }
        Some(f) => {
            let mut src = fixtures::open(f)?;
            let mut records = Vec::new();
            let mut line = Vec::new();
            while src.next_records(&mut |r| line.push(r))?.is_some() {
                let inject: Option<Box<str>> = src.inject().map(Into::into);
                records.extend(
                    line.drain(..)
                        .map(|record| crate::server::exercise::Scripted {
                            record,
                            inject: inject.clone(),
                        }),
                );
            }
            let plan = src.fixture().plan.clone();
            let dir = state_dir(args, &plan.spec.id);
            ControlPlane::from_fixture_in(
                plan,
                records,
                args.speed,
                tokens,
                args.seed,
                dir.as_deref(),
            )
            .map_err(|e| eyre!("{e}"))?
        }
    };
    report_state(&plane);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (addr, serving) = net::bind_with(args.listen, plane, args.limits())
            .await
            .map_err(|e| eyre!("--listen {}: {e}", args.listen))?;
        eprintln!("warroom control plane on ws://{addr}  (GET http://{addr}/metrics, /healthz)");
        tokio::select! {
            () = serving => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(0)
    })
}

/// `warroom serve --plan FILE`: everything that can be wrong with the plan, its secrets and
/// its sources is said before anything starts.
fn conduct(
    args: &crate::cli::ServeArgs,
    path: &std::path::Path,
    tokens: crate::server::net::Tokens,
) -> Result<i32> {
    use crate::server::conducting::{self, Conducting};
    use crate::server::net::{self, ControlPlane};
    if (args.speed - 1.0).abs() > f64::EPSILON {
        bail!(
            "--speed {}: a planned rollout runs on the wall clock; leave --speed out",
            args.speed
        );
    }
    let file = crate::config::plan_file::load(path).map_err(|e| eyre!("{e}"))?;
    let dir = state_dir(args, &file.plan.spec.id);
    if let Some(d) = &dir {
        std::fs::create_dir_all(d).map_err(|e| eyre!("--state {}: {e}", d.display()))?;
    }
    let with = Conducting::for_plan_in(&file, dir.as_deref())
        .map_err(|e| eyre!("{}: {e}", path.display()))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (plane, work) =
            ControlPlane::planned_in(&file, tokens, dir.as_deref()).map_err(|e| eyre!("{e}"))?;
        report_state(&plane);
        let (addr, serving) = net::bind_with(args.listen, plane.clone(), args.limits())
            .await
            .map_err(|e| eyre!("--listen {}: {e}", args.listen))?;
        eprintln!(
            "warroom control plane on ws://{addr}  conducting {} ({})",
            crate::core::sanitize::sanitize(&file.plan.spec.id),
            file.actuator.kind()
        );
        tokio::select! {
            () = serving => {}
            () = conducting::run(plane, work, with) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(0)
    })
}

/// The journal's directory: `--state`, else one per rollout under the XDG state home;
/// `None` with `--ephemeral`.
fn state_dir(args: &crate::cli::ServeArgs, rollout: &str) -> Option<std::path::PathBuf> {
    if args.ephemeral {
        return None;
    }
    if let Some(dir) = &args.state {
        return Some(dir.clone());
    }
    // A rollout id names a directory only through its plain characters.
    let name: String = rollout
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = if name.trim_matches('.').is_empty() {
        "rollout".to_string()
    } else {
        name
    };
    Some(crate::shell::sinks::state_home().join("serve").join(name))
}

/// Says where the journal is, and whether this start went on from it.
fn report_state(plane: &crate::server::net::ControlPlane) {
    if let Some((dir, seq, restored)) = plane.journal_status() {
        let what = if restored {
            format!("restarted in place from seq {seq}")
        } else {
            "new journal".to_string()
        };
        eprintln!(
            "warroom journal in {} ({what})",
            crate::core::sanitize::sanitize(&dir.display().to_string())
        );
    }
}
