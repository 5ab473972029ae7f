//! Broken configurations, each with the exact error line it must produce, and the good ones
//! that must load (the shipped template, a config with every optional section).

#![allow(clippy::too_many_lines)] // a corpus of cases, read top to bottom

use warroom::config::{self, Auth, MatchOp, Secret, SeriesMode};
use warroom::core::time::Span;

/// A valid base: `[prometheus]` (lines 1-2) and three SLOs (slo[0] on lines 4-12, slo[1] on
/// 14-22, slo[2] on 24-32). Cases edit one spot of it.
const BASE: &str = r#"[prometheus]
url = "http://127.0.0.1:9090"

[[slo]]
id = "error_rate"
name = "Error Rate"
query = "100 * sum(rate(warroom_request_errors_total[1m])) / sum(rate(warroom_requests_total[1m]))"
unit = "%"
direction = "lower"
target = 2
warning = 5
critical = 10

[[slo]]
id = "success_rate"
name = "Success Rate"
query = "100 - 100 * sum(rate(warroom_request_errors_total[1m])) / sum(rate(warroom_requests_total[1m]))"
unit = "%"
direction = "higher"
target = 98
warning = 95
critical = 90

[[slo]]
id = "p99_latency"
name = "P99 Latency"
query = "1000 * histogram_quantile(0.99, sum by (le) (rate(warroom_request_duration_seconds_bucket[1m])))"
unit = "ms"
direction = "lower"
target = 500
warning = 550
critical = 600
"#;

fn with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "case does not apply: {from:?}");
    BASE.replacen(from, to, 1)
}

fn plus(extra: &str) -> String {
    format!("{BASE}\n{extra}")
}

fn error_of(text: &str) -> String {
    match config::parse("warroom.toml", text) {
        Ok(_) => "parsed without error".into(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_base_itself_parses() {
    let c = config::parse("warroom.toml", BASE).unwrap();
    assert_eq!(c.slos.len(), 3);
}

#[test]
fn broken_configs_name_file_key_and_value() {
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "warning beyond critical",
            with("warning = 550", "warning = 700"),
            r#"warroom.toml: line 31: slo[2].warning: 700 is beyond critical 600 (direction "lower": worse is above)"#,
        ),
        (
            "target beyond warning (higher is better)",
            with("target = 98", "target = 94"),
            r#"warroom.toml: line 20: slo[1].target: 94 is beyond warning 95 (direction "higher": worse is below)"#,
        ),
        (
            "non-finite threshold",
            with("critical = 10", "critical = nan"),
            "warroom.toml: line 12: slo[0].critical: NaN is not a finite number",
        ),
        (
            "unknown key in an SLO",
            with("unit = \"ms\"", "unit = \"ms\"\ncolour = \"red\""),
            "warroom.toml: line 29: slo[2].colour: unknown field `colour`, expected one of `id`, `name`, `query`, `unit`, `direction`, `target`, `warning`, `critical`, `series`, `triggers`, `objective`, `period`",
        ),
        (
            "unknown top-level section",
            plus("[grafana]\nurl = \"http://x\"\n"),
            "warroom.toml: line 34: grafana: unknown field `grafana`, expected one of `prometheus`, `slo`, `alertmanager`, `gates`, `rollback`",
        ),
        (
            "not a URL",
            with("url = \"http://127.0.0.1:9090\"", "url = \"127.0.0.1:9090\""),
            r#"warroom.toml: line 2: prometheus.url: "127.0.0.1:9090" is not a URL (relative URL without a base)"#,
        ),
        (
            "not an http URL",
            with("http://127.0.0.1:9090", "ftp://127.0.0.1:9090"),
            r#"warroom.toml: line 2: prometheus.url: "ftp://127.0.0.1:9090" is not an http or https URL (scheme "ftp")"#,
        ),
        (
            "user and password in the URL (not echoed)",
            with("http://127.0.0.1:9090", "http://admin:hunter2@127.0.0.1:9090"),
            r#"warroom.toml: line 2: prometheus.url: "http://127.0.0.1:9090/" has credentials in it (use basic_user with basic_password_env or basic_password_file instead)"#,
        ),
        (
            "bad duration",
            with("url = \"http://127.0.0.1:9090\"", "url = \"http://127.0.0.1:9090\"\ntimeout = \"5x\""),
            r#"warroom.toml: line 3: prometheus.timeout: unknown unit "x" (use d, h, m, min, s or ms) in "5x""#,
        ),
        (
            "zero interval",
            with("url = \"http://127.0.0.1:9090\"", "url = \"http://127.0.0.1:9090\"\ninterval = \"0s\""),
            r#"warroom.toml: line 3: prometheus.interval: "0s" must be longer than 0 (e.g. "15s")"#,
        ),
        (
            "bad direction",
            with("direction = \"higher\"", "direction = \"up\""),
            "warroom.toml: line 19: slo[1].direction: unknown variant `up`, expected `lower` or `higher`",
        ),
        (
            "bad series mode",
            with("unit = \"ms\"", "unit = \"ms\"\nseries = \"every\""),
            "warroom.toml: line 29: slo[2].series: unknown variant `every`, expected `aggregate` or `each`",
        ),
        (
            "missing threshold",
            with("critical = 90\n", ""),
            "warroom.toml: line 14: slo[1]: missing field `critical`",
        ),
        (
            "empty query",
            with("query = \"1000 * histogram_quantile(0.99, sum by (le) (rate(warroom_request_duration_seconds_bucket[1m])))\"", "query = \" \""),
            r#"warroom.toml: line 27: slo[2].query: " " is empty (write the PromQL expression that measures the SLO)"#,
        ),
        (
            "duplicate SLO id",
            with("id = \"p99_latency\"", "id = \"error_rate\""),
            r#"warroom.toml: line 25: slo[2].id: duplicate SLO id "error_rate" (also slo[0].id)"#,
        ),
        (
            "id with a space",
            with("id = \"p99_latency\"", "id = \"p99 latency\""),
            r#"warroom.toml: line 25: slo[2].id: "p99 latency" must be non-empty printable text without spaces"#,
        ),
        (
            "objective of 1",
            with("critical = 10\n", "critical = 10\nobjective = 1\nperiod = \"30d\"\n"),
            "warroom.toml: line 13: slo[0].objective: 1 is not strictly between 0 and 1 (e.g. 0.999 for 99.9 %)",
        ),
        (
            "objective above 1 (a percentage)",
            with("critical = 10\n", "critical = 10\nobjective = 99.9\nperiod = \"30d\"\n"),
            "warroom.toml: line 13: slo[0].objective: 99.9 is not strictly between 0 and 1 (e.g. 0.999 for 99.9 %)",
        ),
        (
            "objective on a latency",
            with(
                "critical = 600\n",
                "critical = 600\nobjective = 0.99\nperiod = \"30d\"\n",
            ),
            r#"warroom.toml: line 33: slo[2].objective: 0.99 needs the SLO's value to be a share of events, but unit is "ms" (use unit "%" for a percentage, or "" for a fraction between 0 and 1)"#,
        ),
        (
            "gate on a per-series SLO",
            plus("[gates]\nw1 = [\"error_rate\"]\n").replacen(
                "critical = 10\n",
                "critical = 10\nseries = \"each\"\n",
                1,
            ),
            r#"warroom.toml: line 36: gates.w1[0]: SLO "error_rate" has series = "each" (one gauge per series); gate on an SLO that aggregates to one value"#,
        ),
        (
            "auto_pause not a boolean",
            plus("[rollback]\nauto_pause = \"yes\"\n"),
            "warroom.toml: line 35: rollback.auto_pause: expected true or false, found the string \"yes\"",
        ),
        (
            "objective without period",
            with("critical = 10\n", "critical = 10\nobjective = 0.999\n"),
            r#"warroom.toml: line 13: slo[0].objective: 0.999 needs a period for the error budget (e.g. period = "30d")"#,
        ),
        (
            "period without objective",
            with("critical = 10\n", "critical = 10\nperiod = \"30d\"\n"),
            r#"warroom.toml: line 13: slo[0].period: "30d" is only used with an objective (e.g. objective = 0.999)"#,
        ),
        (
            "trigger with both above and below",
            with("critical = 10\n", "critical = 10\ntriggers = [{ above = 10, below = 1, for = \"5m\" }]\n"),
            r#"warroom.toml: line 13: slo[0].triggers[0]: a trigger needs exactly one of "above" or "below""#,
        ),
        (
            "trigger with an unknown key",
            with("critical = 10\n", "critical = 10\ntriggers = [{ over = 10, for = \"5m\" }]\n"),
            "warroom.toml: line 13: slo[0].triggers[0].over: unknown field `over`, expected one of `above`, `below`, `for`, `policy`",
        ),
        (
            "trigger with a bad duration",
            with("critical = 10\n", "critical = 10\ntriggers = [{ above = 10, for = \"five minutes\" }]\n"),
            r#"warroom.toml: line 13: slo[0].triggers[0].for: a space at character 5 of "five minutes" (durations are written without spaces, e.g. "5m")"#,
        ),
        (
            "unquoted matcher value",
            plus("[alertmanager]\nurl = \"http://127.0.0.1:9093\"\nmatchers = [\"team=\\\"payments\\\"\", \"severity=critical\"]\n"),
            r#"warroom.toml: line 36: alertmanager.matchers[1]: "severity=critical" has an unquoted value (write NAME OP "VALUE" with OP one of = != =~ !~, e.g. severity=~"critical|warning")"#,
        ),
        (
            "matcher with a bad operator",
            plus("[alertmanager]\nurl = \"http://127.0.0.1:9093\"\nmatchers = [\"team ~= \\\"payments\\\"\"]\n"),
            r#"warroom.toml: line 36: alertmanager.matchers[0]: "team ~= \"payments\"" has no operator after "team" (write NAME OP "VALUE" with OP one of = != =~ !~, e.g. severity=~"critical|warning")"#,
        ),
        (
            "matcher without a name",
            plus("[alertmanager]\nurl = \"http://127.0.0.1:9093\"\nmatchers = [\"=\\\"payments\\\"\"]\n"),
            r#"warroom.toml: line 36: alertmanager.matchers[0]: "=\"payments\"" does not start with a label name (write NAME OP "VALUE" with OP one of = != =~ !~, e.g. severity=~"critical|warning")"#,
        ),
        (
            "matcher regex that does not compile",
            plus("[alertmanager]\nurl = \"http://127.0.0.1:9093\"\nmatchers = [\"team=\\\"payments\\\"\", \"severity=~\\\"crit(ical|warning\\\"\"]\n"),
            r#"warroom.toml: line 36: alertmanager.matchers[1]: "severity=~\"crit(ical|warning\"" has a value that is not a regular expression: unclosed group (=~ and !~ take RE2 syntax, matched against the whole label value)"#,
        ),
        (
            "negated matcher regex that does not compile",
            plus("[alertmanager]\nurl = \"http://127.0.0.1:9093\"\nmatchers = [\"team!~\\\"pay[\\\"\"]\n"),
            r#"warroom.toml: line 36: alertmanager.matchers[0]: "team!~\"pay[\"" has a value that is not a regular expression: unclosed character class (=~ and !~ take RE2 syntax, matched against the whole label value)"#,
        ),
        (
            "prometheus written as an array of its values",
            with("[prometheus]\nurl = \"http://127.0.0.1:9090\"\n", "prometheus = [\"http://127.0.0.1:9090\"]\n"),
            "warroom.toml: line 1: prometheus: expected a table, found an array",
        ),
        (
            "a trigger written as an array of its values",
            with("critical = 10\n", "critical = 10\ntriggers = [[10, 1, \"5m\"]]\n"),
            "warroom.toml: line 13: slo[0].triggers[0]: expected a table, found an array",
        ),
        (
            "interval with a stray space",
            with("url = \"http://127.0.0.1:9090\"", "url = \"http://127.0.0.1:9090\"\ninterval = \"15s \""),
            r#"warroom.toml: line 3: prometheus.interval: a space at character 4 of "15s " (durations are written without spaces: "15s")"#,
        ),
        (
            "bad alertmanager URL",
            plus("[alertmanager]\nurl = \"localhost:9093\"\n"),
            r#"warroom.toml: line 35: alertmanager.url: "localhost:9093" is not an http or https URL (scheme "localhost")"#,
        ),
        (
            "gate naming an unknown SLO",
            plus("[gates]\nw3 = [\"error_rate\", \"p95_latency\"]\n"),
            r#"warroom.toml: line 35: gates.w3[1]: no SLO "p95_latency" among the [[slo]] ids (error_rate, success_rate, p99_latency)"#,
        ),
        (
            "gate naming an SLO twice",
            plus("[gates]\nw1 = [\"error_rate\", \"error_rate\"]\n"),
            r#"warroom.toml: line 35: gates.w1[1]: SLO "error_rate" is listed twice"#,
        ),
        (
            "gate that is not a list",
            plus("[gates]\nw1 = \"error_rate\"\n"),
            "warroom.toml: line 35: gates.w1: expected an array, found the string \"error_rate\"",
        ),
        (
            "bearer token from both env and file",
            with("url = \"http://127.0.0.1:9090\"", "url = \"http://127.0.0.1:9090\"\nbearer_token_env = \"PROM_TOKEN\"\nbearer_token_file = \"/run/secrets/prom\""),
            "warroom.toml: line 1: prometheus: give either bearer_token_env or bearer_token_file, not both",
        ),
        (
            "bearer token and basic auth",
            with("url = \"http://127.0.0.1:9090\"", "url = \"http://127.0.0.1:9090\"\nbearer_token_env = \"PROM_TOKEN\"\nbasic_user = \"warroom\"\nbasic_password_env = \"PROM_PASSWORD\""),
            "warroom.toml: line 1: prometheus: give either a bearer token (bearer_token_env or bearer_token_file) or basic authentication (basic_user and a password), not both",
        ),
        (
            "basic user without a password",
            with("url = \"http://127.0.0.1:9090\"", "url = \"http://127.0.0.1:9090\"\nbasic_user = \"warroom\""),
            r#"warroom.toml: line 3: prometheus.basic_user: "warroom" needs a password: set basic_password_env or basic_password_file"#,
        ),
        (
            "password without a user",
            with("url = \"http://127.0.0.1:9090\"", "url = \"http://127.0.0.1:9090\"\nbasic_password_file = \"/run/secrets/prom\""),
            "warroom.toml: line 1: prometheus: a basic_password_env or basic_password_file needs basic_user",
        ),
        (
            "environment variable name with a space",
            with("url = \"http://127.0.0.1:9090\"", "url = \"http://127.0.0.1:9090\"\nbearer_token_env = \"PROM TOKEN\""),
            r#"warroom.toml: line 3: prometheus.bearer_token_env: "PROM TOKEN" is not an environment variable name"#,
        ),
        (
            "no prometheus section",
            with("[prometheus]\nurl = \"http://127.0.0.1:9090\"\n", ""),
            "warroom.toml: prometheus: missing [prometheus] section (it needs at least `url`)",
        ),
        (
            "no SLOs",
            "[prometheus]\nurl = \"http://127.0.0.1:9090\"\n".to_string(),
            "warroom.toml: slo: no [[slo]] entries (add at least one SLO with its query)",
        ),
        (
            "TOML syntax error",
            with("unit = \"%\"", "unit = \"%"),
            "warroom.toml: line 8: invalid basic string, expected `\"`",
        ),
    ];
    let mut failures = Vec::new();
    for (what, text, expected) in &cases {
        let got = error_of(text);
        if got != *expected {
            failures.push(format!(
                "{what}:\n  expected: {expected}\n  got:      {got}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn inline_credentials_are_refused_with_a_hint() {
    let text = with(
        "url = \"http://127.0.0.1:9090\"",
        "url = \"http://127.0.0.1:9090\"\nbearer_token = \"s3cr3t-value\"",
    );
    let e = error_of(&text);
    assert!(
        e.starts_with("warroom.toml: line 3: prometheus.bearer_token: unknown field `bearer_token`, expected one of `url`, "),
        "{e}"
    );
    assert!(e.ends_with("(credentials are never written in the config: set bearer_token_env to the name of an environment variable, or bearer_token_file to a file that holds the token)"), "{e}");
    assert!(
        !e.contains("s3cr3t-value"),
        "the secret must not be echoed: {e}"
    );

    let text = with(
        "url = \"http://127.0.0.1:9090\"",
        "url = \"http://127.0.0.1:9090\"\nbasic_user = \"warroom\"\nbasic_password = \"hunter2\"",
    );
    let e = error_of(&text);
    assert!(
        e.starts_with(
            "warroom.toml: line 4: prometheus.basic_password: unknown field `basic_password`"
        ),
        "{e}"
    );
    assert!(e.contains("set basic_password_env"), "{e}");
    assert!(!e.contains("hunter2"), "the secret must not be echoed: {e}");
}

#[test]
fn the_template_parses_and_describes_batch_patches() {
    let c = config::parse("examples/warroom.toml", config::TEMPLATE).unwrap();
    let ids: Vec<&str> = c.slos.iter().map(|s| s.spec.id.as_str()).collect();
    for id in ["error_rate", "success_rate", "p95_latency", "p99_latency"] {
        assert!(ids.contains(&id), "template lacks {id}: {ids:?}");
    }
    let error_rate = &c.slos[0];
    assert_eq!(
        error_rate.query,
        "100 * sum(rate(warroom_request_errors_total[1m])) / sum(rate(warroom_requests_total[1m]))"
    );
    for metric in [
        "warroom_requests_total",
        "warroom_request_errors_total",
        "warroom_request_duration_seconds_bucket",
        "warroom_traffic_share",
    ] {
        assert!(
            c.slos.iter().any(|s| s.query.contains(metric)),
            "no query reads {metric}"
        );
    }
    assert!(c
        .slos
        .iter()
        .any(|s| s.query.contains("histogram_quantile(0.95")));
    assert!(c
        .slos
        .iter()
        .any(|s| s.query.contains("histogram_quantile(0.99")));
    assert_eq!(c.gates["w3"], ["error_rate", "p95_latency", "p99_latency"]);
    assert!(c.alertmanager.is_some());
}

#[test]
fn the_template_explains_every_key() {
    // Every key the loader knows appears in the template, active or commented out, and every
    // active key line is preceded by a comment somewhere in its block.
    for key in [
        "url",
        "bearer_token_env",
        "bearer_token_file",
        "basic_user",
        "basic_password_env",
        "basic_password_file",
        "timeout",
        "interval",
        "id",
        "name",
        "query",
        "unit",
        "direction",
        "target",
        "warning",
        "critical",
        "series",
        "triggers",
        "objective",
        "period",
        "matchers",
        "Gates:",
        "Alertmanager:",
    ] {
        assert!(
            config::TEMPLATE
                .lines()
                .any(|l| l.trim_start().starts_with('#') && l.contains(key)),
            "no comment explains {key}"
        );
    }
}

#[test]
fn every_optional_section_parses() {
    let text = r#"
[prometheus]
url = "https://prometheus.example.com/prom/"
basic_user = "warroom"
basic_password_file = "/run/secrets/prom-password"
timeout = "2s"
interval = "30s"

[[slo]]
id = "error_rate"
name = "Error Rate"
query = '100 * sum by (version) (rate(warroom_request_errors_total[1m])) / sum by (version) (rate(warroom_requests_total[1m]))'
unit = "%"
direction = "lower"
target = 2
warning = 5
critical = 10
series = "each"
triggers = [{ above = 10, for = "5m" }, { above = 20, for = "1m" }]
objective = 0.999
period = "30d"

[[slo]]
id = "success_rate"
name = "Success Rate"
query = "100"
unit = "%"
direction = "higher"
target = 98
warning = 95
critical = 90
triggers = [{ below = 90, for = "2m" }]

[alertmanager]
url = "http://127.0.0.1:9093"
matchers = ["team=\"payments\"", "severity=~\"critical|warning\"", "env != \"staging\"", 'alertname!~"Watchdog|InfoInhibitor"']

[gates]
w1 = ["success_rate"]
w3 = ["success_rate"]

[rollback]
auto_pause = true
"#;
    let c = config::parse("warroom.toml", text).unwrap();
    assert_eq!(
        c.prometheus.url.as_str(),
        "https://prometheus.example.com/prom/"
    );
    assert_eq!(
        c.prometheus.auth,
        Some(Auth::Basic {
            user: "warroom".into(),
            password: Secret::File("/run/secrets/prom-password".into())
        })
    );
    assert_eq!(c.prometheus.timeout, Span::from_secs(2));
    assert_eq!(c.prometheus.interval, Span::from_secs(30));
    let e = &c.slos[0];
    assert_eq!(e.series, SeriesMode::Each);
    assert_eq!(e.spec.triggers.len(), 2);
    assert_eq!(e.spec.triggers[0].for_, Span::from_secs(300));
    let budget = e.spec.budget.unwrap();
    assert!((budget.objective - 0.999).abs() < 1e-12);
    assert_eq!(budget.period, Span::from_secs(30 * 86_400));
    assert_eq!(c.slos[1].spec.triggers[0].below, Some(90.0));
    let am = c.alertmanager.unwrap();
    let ops: Vec<MatchOp> = am.matchers.iter().map(|m| m.op).collect();
    assert_eq!(
        ops,
        [
            MatchOp::Eq,
            MatchOp::Regex,
            MatchOp::NotEq,
            MatchOp::NotRegex
        ]
    );
    assert_eq!(am.matchers[1].value, "critical|warning");
    assert_eq!(am.matchers[2].to_string(), "env!=\"staging\"");
    assert_eq!(c.gates.len(), 2);
    assert!(c.auto_pause);

    // Bearer tokens from the environment.
    let text = text.replace(
        "basic_user = \"warroom\"\nbasic_password_file = \"/run/secrets/prom-password\"",
        "bearer_token_env = \"PROM_TOKEN\"",
    );
    let c = config::parse("warroom.toml", &text).unwrap();
    assert_eq!(
        c.prometheus.auth,
        Some(Auth::Bearer(Secret::Env("PROM_TOKEN".into())))
    );
}

#[test]
fn load_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("warroom.toml");
    std::fs::write(&path, with("warning = 550", "warning = 700")).unwrap();
    let e = config::load(&path).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: line 31: slo[2].warning: 700 is beyond critical 600 (direction \"lower\": worse is above)",
            path.display()
        )
    );
    let missing = dir.path().join("nope.toml");
    let e = config::load(&missing).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}: cannot read: ", missing.display())),
        "{e}"
    );
    std::fs::write(&path, BASE).unwrap();
    assert_eq!(config::load(&path).unwrap().slos.len(), 3);
}
