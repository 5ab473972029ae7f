//! A client for the Prometheus HTTP API (also spoken by Thanos, Mimir, `VictoriaMetrics` and
//! Cortex): instant and range queries, with every failure kept as a value the screen can
//! show (the server's own `errorType` and message, HTTP status, timeout, refused connection).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

/// Most points Prometheus returns for one range-query series.
pub const MAX_POINTS: u64 = 11_000;

/// Labels of one series.
pub type Labels = BTreeMap<String, String>;

/// A query's result.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(f64),
    /// One sample per series (an instant query). Empty: no data.
    Vector(Vec<(Labels, f64)>),
    /// Samples per series over time (a range query): (unix seconds, value).
    Matrix(Vec<(Labels, Vec<(f64, f64)>)>),
}

/// Why a query gave no value. Every case carries what the person at the screen needs.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// Prometheus answered `"status": "error"` (e.g. `bad_data` for a `PromQL` syntax error).
    #[error("{error_type}: {error}")]
    Api { error_type: String, error: String },
    /// Any other non-success HTTP status.
    #[error("HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("unreadable answer: {0}")]
    Decode(String),
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
enum Data {
    Scalar((f64, String)),
    String((f64, String)),
    Vector(Vec<VectorItem>),
    Matrix(Vec<MatrixItem>),
}

#[derive(Deserialize)]
struct VectorItem {
    #[serde(default)]
    metric: Labels,
    value: (f64, String),
}

#[derive(Deserialize)]
struct MatrixItem {
    #[serde(default)]
    metric: Labels,
    values: Vec<(f64, String)>,
}

/// Sample values arrive as strings so that `NaN`, `+Inf` and `-Inf` survive JSON.
fn number(s: &str) -> Result<f64, QueryError> {
    match s {
        "NaN" => Ok(f64::NAN),
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        other => other
            .parse()
            .map_err(|_| QueryError::Decode(format!("sample value {other:?} is not a number"))),
    }
}

/// Reads an API answer (any HTTP status: Prometheus sends its error JSON with 4xx/5xx too).
///
/// # Errors
/// The API's own error, or an answer that is not the API's shape.
pub fn parse(status: u16, body: &str) -> Result<Value, QueryError> {
    let clip = |s: &str| {
        crate::core::sanitize::sanitize(s)
            .chars()
            .take(200)
            .collect::<String>()
    };
    let env: Envelope = match serde_json::from_str(body) {
        Ok(e) => e,
        Err(_) if !(200..300).contains(&status) => {
            return Err(QueryError::Http {
                status,
                body: clip(body),
            })
        }
        Err(e) => return Err(QueryError::Decode(clip(&e.to_string()))),
    };
    if env.status != "success" {
        return Err(QueryError::Api {
            error_type: clip(env.error_type.as_deref().unwrap_or("unknown")),
            error: clip(env.error.as_deref().unwrap_or("no message")),
        });
    }
    match env.data {
        Some(Data::Scalar((_, v))) => Ok(Value::Scalar(number(&v)?)),
        Some(Data::String((_, v))) => Err(QueryError::Decode(format!(
            "a string result ({}) is not a number",
            clip(&v)
        ))),
        Some(Data::Vector(items)) => items
            .into_iter()
            .map(|i| Ok((i.metric, number(&i.value.1)?)))
            .collect::<Result<_, _>>()
            .map(Value::Vector),
        Some(Data::Matrix(items)) => items
            .into_iter()
            .map(|i| {
                Ok((
                    i.metric,
                    i.values
                        .into_iter()
                        .map(|(t, v)| Ok((t, number(&v)?)))
                        .collect::<Result<Vec<_>, QueryError>>()?,
                ))
            })
            .collect::<Result<_, _>>()
            .map(Value::Matrix),
        None => Err(QueryError::Decode("a success without data".into())),
    }
}

/// The step for a range query over `span` seconds that gives about `points` points (one per
/// sparkline cell), never more than Prometheus's 11,000-point limit, never under a second.
#[must_use]
pub fn step_for(span: f64, points: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let wanted = span / points.clamp(1, MAX_POINTS) as f64;
    #[allow(clippy::cast_precision_loss)]
    let floor = span / MAX_POINTS as f64;
    wanted.max(floor).max(1.0).ceil()
}

/// An HTTP error with every cause behind it ("error sending request: …: Connection
/// refused"), safe to draw.
pub(crate) fn error_chain(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    crate::core::sanitize::sanitize(&msg).into()
}

/// A credential, once read from where the configuration says it is.
#[derive(Clone)]
pub enum Credential {
    Bearer(String),
    Basic { user: String, password: String },
}

impl std::fmt::Debug for Credential {
    /// Never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Bearer(_) => f.write_str("Bearer(…)"),
            Credential::Basic { user, .. } => write!(f, "Basic({user}, …)"),
        }
    }
}

/// A Prometheus-compatible server.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base: reqwest::Url,
    credential: Option<Credential>,
    timeout: Duration,
}

impl Client {
    /// The client of a configuration's `[prometheus]`, its credentials read (an I/O step, at
    /// start-up).
    ///
    /// # Errors
    /// A credential cannot be read, or the client cannot be built; the message says which.
    pub fn for_config(config: &crate::config::Config) -> Result<Client, String> {
        use crate::config::Auth;
        let p = &config.prometheus;
        let credential = match &p.auth {
            None => None,
            Some(Auth::Bearer(secret)) => Some(Credential::Bearer(
                secret
                    .read()
                    .map_err(|e| format!("prometheus bearer token: {e}"))?,
            )),
            Some(Auth::Basic { user, password }) => Some(Credential::Basic {
                user: user.clone(),
                password: password
                    .read()
                    .map_err(|e| format!("prometheus basic password: {e}"))?,
            }),
        };
        Client::new(p.url.clone(), credential, p.timeout.as_duration()).map_err(|e| e.to_string())
    }

    /// # Errors
    /// The HTTP client cannot be built (TLS set-up).
    pub fn new(
        mut base: reqwest::Url,
        credential: Option<Credential>,
        timeout: Duration,
    ) -> Result<Client, QueryError> {
        // `join` replaces the last path segment unless the base ends in '/'.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = crate::shell::http_client()
            .timeout(timeout)
            .build()
            .map_err(|e| QueryError::Connect(e.to_string()))?;
        Ok(Client {
            http,
            base,
            credential,
            timeout,
        })
    }

    async fn get(&self, path: &str, params: &[(&str, String)]) -> Result<Value, QueryError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| QueryError::Connect(e.to_string()))?;
        let mut req = self.http.get(url).query(params);
        match &self.credential {
            Some(Credential::Bearer(t)) => req = req.bearer_auth(t),
            Some(Credential::Basic { user, password }) => {
                req = req.basic_auth(user, Some(password));
            }
            None => {}
        }
        let resp = req.send().await.map_err(|e| self.transport(&e))?;
        let status = resp.status().as_u16();
        let body = resp.text().await.map_err(|e| self.transport(&e))?;
        parse(status, &body)
    }

    fn transport(&self, e: &reqwest::Error) -> QueryError {
        if e.is_timeout() {
            QueryError::Timeout(self.timeout)
        } else {
            QueryError::Connect(error_chain(e))
        }
    }

    /// `GET /api/v1/query`.
    ///
    /// # Errors
    /// See [`QueryError`].
    pub async fn instant(&self, query: &str) -> Result<Value, QueryError> {
        self.get("api/v1/query", &[("query", query.to_string())])
            .await
    }

    /// `GET /api/v1/query` evaluated at `time` (unix seconds): the sample time is known
    /// exactly, whatever the server's clock says.
    ///
    /// # Errors
    /// See [`QueryError`].
    pub async fn instant_at(&self, query: &str, time: f64) -> Result<Value, QueryError> {
        self.get(
            "api/v1/query",
            &[("query", query.to_string()), ("time", format!("{time:.3}"))],
        )
        .await
    }

    /// `GET /api/v1/query_range` from `start` to `end` (unix seconds).
    ///
    /// # Errors
    /// See [`QueryError`].
    pub async fn range(
        &self,
        query: &str,
        start: f64,
        end: f64,
        step: f64,
    ) -> Result<Value, QueryError> {
        self.get(
            "api/v1/query_range",
            &[
                ("query", query.to_string()),
                ("start", start.to_string()),
                ("end", end.to_string()),
                ("step", step.to_string()),
            ],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_result_type_and_special_values() {
        let v = parse(200, r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"version":"a"},"value":[1.0,"NaN"]},{"metric":{},"value":[1.0,"+Inf"]}]}}"#).unwrap();
        let Value::Vector(items) = v else {
            panic!("{v:?}")
        };
        assert!(items[0].1.is_nan() && items[1].1 == f64::INFINITY);
        assert_eq!(
            parse(
                200,
                r#"{"status":"success","data":{"resultType":"scalar","result":[1.0,"-Inf"]}}"#
            )
            .unwrap(),
            Value::Scalar(f64::NEG_INFINITY)
        );
        assert_eq!(
            parse(
                200,
                r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#
            )
            .unwrap(),
            Value::Vector(vec![])
        );
        let m = parse(200, r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"x":"1"},"values":[[1,"1"],[2,"2.5"]]}]}}"#).unwrap();
        assert!(matches!(m, Value::Matrix(ref s) if s[0].1 == vec![(1.0, 1.0), (2.0, 2.5)]));
    }

    #[test]
    fn errors_keep_the_servers_words() {
        let e = parse(
            400,
            r#"{"status":"error","errorType":"bad_data","error":"parse error at char 6"}"#,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "bad_data: parse error at char 6");
        let e = parse(502, "<html>Bad Gateway</html>").unwrap_err();
        assert_eq!(
            e,
            QueryError::Http {
                status: 502,
                body: "<html>Bad Gateway</html>".into()
            }
        );
        assert!(matches!(parse(200, "{}"), Err(QueryError::Decode(_))));
    }

    #[test]
    fn steps_fit_the_sparkline_and_the_server_limit() {
        assert!((step_for(3600.0, 60) - 60.0).abs() < f64::EPSILON);
        // A year at 60 points is a step of hours; a huge width is capped at 11,000 points.
        assert!(
            (step_for(86_400.0 * 365.0, 20_000) - (86_400.0_f64 * 365.0 / 11_000.0).ceil()).abs()
                < f64::EPSILON
        );
        assert!(
            (step_for(10.0, 100) - 1.0).abs() < f64::EPSILON,
            "never under a second"
        );
    }
}
