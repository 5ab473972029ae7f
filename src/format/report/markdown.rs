//! The report as Markdown, in the shape of the post-mortem template.

use std::fmt::Write;

use super::{Facts, Table, TEMPLATE};

/// Text as Markdown that shows it as it is: no emphasis, links, code or HTML from what a
/// record said, and one line.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn table(out: &mut String, t: &Table) {
    if t.rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "| {} |", t.head.join(" | "));
    let _ = writeln!(
        out,
        "|{}",
        t.head.iter().map(|_| " --- |").collect::<String>()
    );
    for r in &t.rows {
        let cells: Vec<String> = r.iter().map(|c| esc(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

/// The whole report as Markdown.
#[must_use]
pub fn markdown(f: &Facts<'_>) -> String {
    let r = f.report;
    let mut out = String::new();
    let _ = writeln!(out, "# Post-mortem: {}\n", esc(&f.title));
    let span = r.span.map_or_else(
        || "no records".to_string(),
        |(a, b)| format!("{} to {}", a.t_label(), b.t_label()),
    );
    let _ = writeln!(
        out,
        "Made by `warroom report` from {}: {} records, {span}. T+ counts from the plan's T0, {}.\n",
        esc(&f.file),
        r.records,
        r.plan.spec.t0.utc_label(crate::core::time::Offset::ZERO)
    );
    out.push_str("## Incident Summary\n\n");
    for (k, v) in &f.summary {
        let _ = writeln!(out, "- **{k}**: {}", esc(v));
    }
    out.push_str("\n## Timeline\n\n");
    if f.timeline.rows.is_empty() {
        out.push_str("Nothing was decided and no key moment came.\n\n");
    }
    table(&mut out, &f.timeline);
    out.push_str("### Milestones\n\n");
    if f.milestones.rows.is_empty() {
        out.push_str("No incident milestone was marked.\n\n");
    }
    table(&mut out, &f.milestones);
    table(&mut out, &f.mttx);
    out.push_str("### Decision latency\n\n");
    if f.latency.rows.is_empty() {
        out.push_str(
            "No key moment: no trigger fired, no alert fired, no incident was detected.\n\n",
        );
    } else {
        out.push_str("For each key moment, the time until the room acted (a command other than a checklist tick, a note, a wave moved by hand, or the incident acknowledged).\n\n");
    }
    table(&mut out, &f.latency);
    out.push_str("### SLOs\n\n");
    table(&mut out, &f.slos);
    out.push_str("### Checklist\n\n");
    let _ = writeln!(out, "{}.\n", esc(&f.checklist_line));
    table(&mut out, &f.checklist);
    for (heading, subs) in TEMPLATE {
        let _ = writeln!(out, "## {heading}\n");
        for (sub, prompts) in *subs {
            if !sub.is_empty() {
                let _ = writeln!(out, "### {sub}\n");
            }
            if *sub == "Technical Impact" {
                for fact in &f.impact {
                    let _ = writeln!(out, "- {} (measured)", esc(fact));
                }
            }
            for p in *prompts {
                let _ = writeln!(out, "- {p}");
            }
            out.push('\n');
        }
    }
    out
}
