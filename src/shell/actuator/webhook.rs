//! The `webhook` actuator: an HTTP POST per command with the command's context as JSON, the
//! command id as `Idempotency-Key` (the same on every attempt, so the receiver applies it
//! once), and with a secret an `X-Warroom-Signature: sha256=<hex>` HMAC of the exact body.
//! A 2xx is applied, a 4xx failed; timeouts, refused connections and 5xx are tried again with
//! capped backoff.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use reqwest::{Client, StatusCode, Url};
use sha2::Sha256;

use crate::core::time::Span;
use crate::server::scenario::{Actuated, Actuation};

/// The header that carries the signature.
pub const SIGNATURE: &str = "X-Warroom-Signature";
/// The header that carries the command id.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// Most of an answer's body kept for the timeline, in bytes.
const KEPT: usize = 4096;

pub struct Webhook {
    client: Client,
    url: Url,
    secret: Option<String>,
    timeout: Span,
    retries: u32,
    /// The first wait between attempts (it doubles up to [`BACKOFF_CAP`]).
    pub backoff: Duration,
}

/// The longest wait between attempts.
pub const BACKOFF_CAP: Duration = Duration::from_secs(5);

/// How one attempt went.
enum Attempt {
    Done(Actuated),
    /// Worth another try; the answer if none is left.
    Again(Actuated),
}

impl Webhook {
    /// # Errors
    /// The HTTP client cannot be built.
    pub fn new(
        url: Url,
        secret: Option<String>,
        timeout: Span,
        retries: u32,
    ) -> Result<Webhook, String> {
        let client = crate::shell::http_client()
            .timeout(timeout.as_duration())
            .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("webhook client: {e}"))?;
        Ok(Webhook {
            client,
            url,
            secret,
            timeout,
            retries,
            backoff: Duration::from_millis(500),
        })
    }

    /// Posts the command, trying again on timeouts and 5xx; says how it went.
    pub async fn actuate(&self, a: &Actuation) -> Actuated {
        let body = body(a);
        let signature = self.secret.as_deref().map(|s| sign(s, body.as_bytes()));
        let mut wait = self.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let answer = match self.post(a, &body, signature.as_deref()).await {
                Attempt::Done(done) => return done,
                Attempt::Again(answer) => answer,
            };
            if attempt > self.retries {
                return match answer {
                    Actuated::Failed { reason } => Actuated::Failed {
                        reason: format!("{reason} (after {attempt} attempts)"),
                    },
                    Actuated::Unknown { reason } => Actuated::Unknown {
                        reason: format!("{reason} (after {attempt} attempts)"),
                    },
                    applied @ Actuated::Applied { .. } => applied,
                };
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(BACKOFF_CAP);
        }
    }

    async fn post(&self, a: &Actuation, body: &str, signature: Option<&str>) -> Attempt {
        let mut req = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(IDEMPOTENCY_KEY, &*a.id)
            .body(body.to_string());
        if let Some(sig) = signature {
            req = req.header(SIGNATURE, format!("sha256={sig}"));
        }
        let resp = match req.send().await {
            Ok(r) => r,
            // Nothing reached the receiver: safe to say it failed, and to try again.
            Err(e) if e.is_connect() => {
                return Attempt::Again(Actuated::Failed {
                    reason: format!("cannot reach {}: {}", self.url, root_cause(&e)),
                })
            }
            Err(e) if e.is_timeout() => {
                return Attempt::Again(Actuated::Unknown {
                    reason: format!("no answer from {} within {}", self.url, self.timeout),
                })
            }
            Err(e) => {
                return Attempt::Again(Actuated::Unknown {
                    reason: format!("{}: {}", self.url, root_cause(&e)),
                })
            }
        };
        let status = resp.status();
        let text = match resp.text().await {
            Ok(t) => t,
            Err(e) if status.is_success() => {
                // Taken, but the answer was cut: it was applied.
                format!("(answer cut: {})", root_cause(&e))
            }
            Err(e) => format!("(answer cut: {})", root_cause(&e)),
        };
        let text = end_of(&text);
        if status.is_success() {
            Attempt::Done(Actuated::Applied { output: text })
        } else if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            Attempt::Again(Actuated::Failed {
                reason: answer(status, &text),
            })
        } else {
            Attempt::Done(Actuated::Failed {
                reason: answer(status, &text),
            })
        }
    }
}

fn answer(status: StatusCode, text: &str) -> String {
    if text.trim().is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {}", text.trim())
    }
}

/// The last [`KEPT`] bytes, on a character boundary.
fn end_of(text: &str) -> String {
    let mut start = text.len().saturating_sub(KEPT);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

/// The innermost error's words (reqwest wraps hyper wraps io).
fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// The JSON body: the same context the exec actuator passes in its environment.
#[must_use]
pub fn body(a: &Actuation) -> String {
    let (wave, name) = a.wave.clone().unzip();
    serde_json::json!({
        "verb": a.verb.word(),
        "rollout": a.rollout,
        "wave": wave,
        "wave_name": name,
        "traffic": a.traffic,
        "previous_traffic": a.previous_traffic,
        "actor": &*a.actor,
        "reason": a.reason.as_deref(),
        "command_id": &*a.id,
        "complete": a.complete,
    })
    .to_string()
}

/// Lower-case hex of HMAC-SHA256(`secret`, `body`).
#[must_use]
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}
