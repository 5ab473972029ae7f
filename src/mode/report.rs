//! `warroom report`: the after-action report of a fixture or a recording.

use color_eyre::eyre::{bail, eyre};
use color_eyre::Result;

use crate::cli::ReportArgs;
use crate::core::report::{Gather, Report};
use crate::core::state::Event;
use crate::format::report::{html, markdown, Facts};
use crate::shell::fixtures;

use super::{say, Progress};

/// Reads `file` to its end, gathering the report as its records are applied to the state.
///
/// # Errors
/// The file cannot be opened or a record is malformed (`FILE:LINE:COLUMN`).
pub fn gather(file: &str) -> Result<Report> {
    let mut src = fixtures::open(file)?;
    let mut state = fixtures::initial_state(&src);
    // The report keeps its own rows: the timeline need not hold more than a screenful.
    state.timeline.set_cap(64);
    state.track_changes(true);
    let mut g = Gather::new(src.fixture().plan.clone());
    let mut progress = Progress::on_stderr(file, "reading", src.len_bytes());
    let mut batch = Vec::new();
    loop {
        let read = src.next_records(&mut |r| batch.push(r));
        let t = match read {
            Ok(Some(t)) => t,
            Ok(None) => break,
            Err(e) => {
                progress.clear();
                return Err(e.into());
            }
        };
        progress.at(src.position().offset);
        for r in batch.drain(..) {
            g.record(&r);
            let fx = state.apply(Event::Record(r));
            g.changes(&fx.changes);
        }
        let fx = state.apply(Event::Clock(t));
        g.changes(&fx.changes);
    }
    progress.clear();
    Ok(g.finish(&state))
}

pub(super) fn report_cmd(args: &ReportArgs) -> Result<i32> {
    let out = &args.output;
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !matches!(ext.as_str(), "html" | "htm" | "md" | "markdown") {
        bail!(
            "-o {}: unknown extension {ext:?} (use .html or .md)",
            out.display()
        );
    }
    let mut report = gather(&args.file)?;
    if let Some(r) = &args.reference {
        let reference = gather(r)?;
        let (a, b) = (&report.plan.spec.id, &reference.plan.spec.id);
        if a != b {
            bail!(
                "--reference {r}: it is rollout {b:?}; {} is rollout {a:?}",
                args.file
            );
        }
        report.against(&reference);
    }
    let facts = Facts::of(&report, &args.file);
    let text = if ext.starts_with("htm") {
        html(&facts)
    } else {
        markdown(&facts)
    };
    // Written whole or not at all: a report half written over a good one is worse than none.
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = out
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, &text)
        .and_then(|()| std::fs::rename(&tmp, out))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            eyre!("-o {}: {e}", out.display())
        })?;
    say(&format!(
        "{}: report of {}: {} records, {} decisions, {} key moments, {} incidents",
        out.display(),
        args.file,
        report.records,
        report.decisions.len(),
        report.moments.len(),
        report.incidents.len()
    ));
    Ok(0)
}
