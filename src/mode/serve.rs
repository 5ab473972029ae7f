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
        None => ControlPlane::new(
            crate::server::scenario::Scenario::batch_patches_demo(args.seed),
            args.speed,
            tokens,
        ),
        Some(f) => {
            let mut src = fixtures::open(f)?;
            let mut records = Vec::new();
            while src.next_records(&mut |r| records.push(r))?.is_some() {}
            ControlPlane::from_fixture(
                src.fixture().plan.clone(),
                records,
                args.speed,
                tokens,
                args.seed,
            )
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (addr, serving) = net::bind(args.listen, plane)
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
    let with = Conducting::for_plan(&file).map_err(|e| eyre!("{}: {e}", path.display()))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (plane, work) = ControlPlane::planned(&file, tokens);
        let (addr, serving) = net::bind(args.listen, plane.clone())
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
