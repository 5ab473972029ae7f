//! The report as one self-contained HTML page: no scripts, no fonts or images from
//! anywhere, the charts inline; readable on a phone (tables scroll sideways, charts scale)
//! and printed (light, no backgrounds needed, charts kept whole on a page).

use std::fmt::Write;

use super::chart::chart;
use super::{Facts, Table, TEMPLATE};

/// Text as HTML that shows it as it is.
#[must_use]
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1b1f24;
  margin: 0 auto; max-width: 64rem; padding: 1rem; }
h1 { font-size: 1.6rem; margin: .2rem 0 .4rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
.meta { color: #57606a; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #d8dee4; }
th { background: #f3f5f7; white-space: nowrap; }
td.t { white-space: nowrap; font-variant-numeric: tabular-nums; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
.prompt { color: #6e7781; }
figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: .2rem; }
svg.chart { width: 100%; height: auto; display: block; }
svg .plot { fill: #fbfcfd; stroke: #d0d7de; }
svg .series { fill: none; stroke: #0969da; stroke-width: 1.6; }
svg .target { stroke: #1a7f37; stroke-dasharray: 2 3; }
svg .warning { stroke: #9a6700; stroke-dasharray: 6 4; }
svg .critical { stroke: #cf222e; stroke-dasharray: 6 4; }
svg .mark { stroke: #57606a; stroke-dasharray: 1 3; }
svg .fired { stroke: #cf222e; stroke-width: 2; }
svg .lbl { font: 11px system-ui, sans-serif; fill: #57606a; stroke: none; }
svg text.target { fill: #1a7f37; } svg text.warning { fill: #9a6700; }
svg text.critical, svg text.fired { fill: #cf222e; }
@media print { body { max-width: none; font-size: 11pt; } .scroll { overflow: visible; }
  h2 { break-after: avoid; } tr { break-inside: avoid; } }
@media (max-width: 40rem) { body { padding: .5rem; font-size: 14px; } dl { grid-template-columns: 1fr; } dt { margin-top: .4rem; } }
";

fn table(out: &mut String, t: &Table, time_columns: usize) {
    if t.rows.is_empty() {
        return;
    }
    out.push_str("<div class=\"scroll\"><table><thead><tr>");
    for h in &t.head {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>\n");
    for r in &t.rows {
        out.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let class = if i < time_columns { " class=\"t\"" } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", esc(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

/// A template prompt: `**Name**: text` keeps its bold name.
fn prompt(p: &str) -> String {
    match p.strip_prefix("**").and_then(|r| r.split_once("**")) {
        Some((name, rest)) => format!(
            "<strong>{}</strong><span class=\"prompt\">{}</span>",
            esc(name),
            esc(rest)
        ),
        None => format!("<span class=\"prompt\">{}</span>", esc(p)),
    }
}

/// The whole report as one HTML page.
#[must_use]
pub fn html(f: &Facts<'_>) -> String {
    let r = f.report;
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Post-mortem: {t}</title><style>{STYLE}</style></head><body>\n\
         <h1>Post-mortem: {t}</h1>\n",
        t = esc(&f.title)
    );
    let span = r.span.map_or_else(
        || "no records".to_string(),
        |(a, b)| format!("{} to {}", a.t_label(), b.t_label()),
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">Made by <code>warroom report</code> from {}: {} records, {span}. \
         T+ counts from the plan's T0, {}.</p>",
        esc(&f.file),
        r.records,
        r.plan.spec.t0.utc_label(crate::core::time::Offset::ZERO)
    );
    out.push_str("<h2>Incident Summary</h2>\n<dl>");
    for (k, v) in &f.summary {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    }
    out.push_str("</dl>\n<h2>Timeline</h2>\n");
    if f.timeline.rows.is_empty() {
        out.push_str("<p>Nothing was decided and no key moment came.</p>\n");
    }
    table(&mut out, &f.timeline, 2);
    out.push_str("<h3>Milestones</h3>\n");
    if f.milestones.rows.is_empty() {
        out.push_str("<p>No incident milestone was marked.</p>\n");
    }
    table(&mut out, &f.milestones, 4);
    table(&mut out, &f.mttx, 5);
    out.push_str("<h3>Decision latency</h3>\n");
    if f.latency.rows.is_empty() {
        out.push_str(
            "<p>No key moment: no trigger fired, no alert fired, no incident was detected.</p>\n",
        );
    } else {
        out.push_str(
            "<p>For each key moment, the time until the room acted (a command other than a \
             checklist tick, a note, a wave moved by hand, or the incident acknowledged).</p>\n",
        );
    }
    table(&mut out, &f.latency, 2);
    out.push_str("<h3>SLOs</h3>\n");
    table(&mut out, &f.slos, 0);
    if let Some(w) = r.window() {
        let _ = writeln!(
            out,
            "<p class=\"meta\">Charts from {} to {}: the incident window. Dashed lines: warning \
             and critical; dotted: target; red: a rollback trigger fired; grey letters: \
             milestones (D detected, A acknowledged, M mitigated, R resolved).</p>",
            w.0.t_label(),
            w.1.t_label()
        );
        for (i, spec) in r.plan.spec.slos.iter().enumerate() {
            let _ = writeln!(
                out,
                "<figure><figcaption>{}</figcaption>{}</figure>",
                esc(&spec.name),
                chart(r, i, w)
            );
        }
    }
    out.push_str("<h3>Checklist</h3>\n");
    let _ = writeln!(out, "<p>{}.</p>", esc(&f.checklist_line));
    table(&mut out, &f.checklist, 0);
    for (heading, subs) in TEMPLATE {
        let _ = writeln!(out, "<h2>{}</h2>", esc(heading));
        for (sub, prompts) in *subs {
            if !sub.is_empty() {
                let _ = writeln!(out, "<h3>{}</h3>", esc(sub));
            }
            out.push_str("<ul>");
            if *sub == "Technical Impact" {
                for fact in &f.impact {
                    let _ = write!(out, "<li>{} (measured)</li>", esc(fact));
                }
            }
            for p in *prompts {
                let _ = write!(out, "<li>{}</li>", prompt(p));
            }
            out.push_str("</ul>\n");
        }
    }
    out.push_str("</body></html>\n");
    out
}
