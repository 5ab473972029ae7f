//! Who may connect to the control plane, and as what: the `--tokens` file. A line gives a
//! token its seat (`facilitator`, `commander`, `participant` — a commander in an exercise —
//! or `observer`) and, optionally, the person behind it and the
//! roles they hold:
//!
//! ```text
//! # TOKEN  SEAT       NAME   ROLE TITLES (quoted)
//! f4c1     facilitator dana
//! s3cr3t   commander  alice  "Incident Commander" "SRE on-call"
//! v13w     observer
//! ```

use std::collections::HashMap;

use crate::core::command::Role;

/// The role title that may tick and untick every item, whoever owns it.
pub const INCIDENT_COMMANDER: &str = "Incident Commander";

/// Who sits at a console, as the control plane knows them: what their commands are checked
/// against. Filled by the control plane from the token of the connection, never from
/// anything the console says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Seat {
    /// No tokens file: anyone, who may tick and untick any item.
    #[default]
    Open,
    /// The seat of a token: the person's name and role titles, as far as its line gives them.
    Token {
        name: Option<String>,
        roles: Vec<String>,
    },
}

impl Seat {
    /// The name the tokens file gives this seat's person, if any: it is the actor of the
    /// seat's commands, whatever the console claims.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        match self {
            Seat::Open => None,
            Seat::Token { name, .. } => name.as_deref(),
        }
    }

    /// Whether this seat may tick or untick an item owned by `owner` (`None`: nobody owns
    /// it). Without a tokens file anyone may; with one, an owned item takes a seat holding
    /// the owner's role or the Incident Commander's (role titles compared ignoring case).
    #[must_use]
    pub fn may_check(&self, owner: Option<&str>) -> bool {
        let Seat::Token { roles, .. } = self else {
            return true;
        };
        let Some(owner) = owner.map(str::trim) else {
            return true;
        };
        roles
            .iter()
            .any(|r| r.eq_ignore_ascii_case(owner) || r.eq_ignore_ascii_case(INCIDENT_COMMANDER))
    }

    /// "alice (Release Manager)", "alice (no role)": who was refused, in a refusal.
    #[must_use]
    pub fn describe(&self, actor: &str) -> String {
        let (name, roles) = match self {
            Seat::Open => (None, &[][..]),
            Seat::Token { name, roles } => (name.as_deref(), &roles[..]),
        };
        let who = name.unwrap_or(actor);
        if roles.is_empty() {
            format!("{who} (no role)")
        } else {
            format!("{who} ({})", roles.join(", "))
        }
    }
}

/// What a token grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub seat: Seat,
}

/// Who may connect, and as what. Empty: anyone, with the role they ask for.
#[derive(Clone, Debug, Default)]
pub struct Tokens(pub HashMap<String, Grant>);

impl Tokens {
    /// Parses `TOKEN SEAT [NAME] ["ROLE TITLE" …]` lines (`#` comments and blank lines
    /// ignored). The two-word `TOKEN SEAT` lines of earlier files mean what they meant.
    ///
    /// # Errors
    /// A line that does not read so, with its number and what is wrong.
    pub fn parse(text: &str) -> Result<Tokens, String> {
        let mut map = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (token, grant) = parse_line(line).map_err(|e| format!("line {}: {e}", n + 1))?;
            map.insert(token, grant);
        }
        Ok(Tokens(map))
    }

    /// The role granted for a hello and the seat behind it, or `None` when the token is
    /// refused.
    #[must_use]
    pub fn grant(&self, token: Option<&str>, asked: Role) -> Option<Grant> {
        if self.0.is_empty() {
            return Some(Grant {
                role: asked,
                seat: Seat::Open,
            });
        }
        let granted = self.0.get(token?)?;
        // A token's seat is its own; a console asking to observe observes.
        Some(Grant {
            role: if asked == Role::Observer {
                Role::Observer
            } else {
                granted.role
            },
            seat: granted.seat.clone(),
        })
    }
}

const SHAPE: &str =
    "expected `TOKEN facilitator|commander|participant|observer [NAME] [\"Role title\" …]`";

/// One line: the token and its grant.
fn parse_line(line: &str) -> Result<(String, Grant), String> {
    let fields = fields(line)?;
    let mut it = fields.into_iter();
    let (Some(Field::Bare(token)), Some(Field::Bare(role))) = (it.next(), it.next()) else {
        return Err(SHAPE.into());
    };
    let role = match role.as_str() {
        "facilitator" => Role::Facilitator,
        // An exercise's participants command as the room would.
        "commander" | "participant" => Role::Commander,
        "observer" => Role::Observer,
        other => {
            return Err(format!(
                "unknown role {other:?} (facilitator, commander, participant or observer)"
            ))
        }
    };
    let mut name = None;
    let mut roles = Vec::new();
    for f in it {
        match f {
            Field::Bare(word) if name.is_none() && roles.is_empty() => name = Some(word),
            Field::Bare(word) => {
                return Err(format!(
                    "{word:?}: a role title goes in double quotes (\"SRE on-call\"), after the \
                     name"
                ))
            }
            Field::Quoted(title) if title.trim().is_empty() => {
                return Err("an empty role title (\"\")".into())
            }
            Field::Quoted(title) => roles.push(title.trim().to_string()),
        }
    }
    Ok((
        token,
        Grant {
            role,
            seat: Seat::Token { name, roles },
        },
    ))
}

enum Field {
    Bare(String),
    Quoted(String),
}

/// Whitespace-separated words and double-quoted titles (no escapes).
fn fields(line: &str) -> Result<Vec<Field>, String> {
    let mut out = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        if let Some(q) = rest.strip_prefix('"') {
            let Some(end) = q.find('"') else {
                return Err(format!("unterminated quote in {rest:?}"));
            };
            out.push(Field::Quoted(q[..end].to_string()));
            rest = &q[end + 1..];
            if rest.starts_with(|c: char| !c.is_whitespace()) {
                return Err(format!("a space must follow the closing quote in {line:?}"));
            }
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let word = &rest[..end];
            if word.contains('"') {
                return Err(format!("a quote inside {word:?}: quote whole role titles"));
            }
            out.push(Field::Bare(word.to_string()));
            rest = &rest[end..];
        }
        rest = rest.trim_start();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_give_seats_names_and_roles() {
        let t = Tokens::parse(
            "# a comment\n\
             old commander\n\
             a1 commander alice \"Incident Commander\" \"SRE on-call\"\n\
             b2   commander   bob   \"Release Manager\"\n\
             c3 observer carol\n",
        )
        .unwrap();
        let g = |k: &str| t.0.get(k).cloned().unwrap();
        assert_eq!(
            g("old").seat,
            Seat::Token {
                name: None,
                roles: vec![]
            }
        );
        assert_eq!(
            g("a1").seat,
            Seat::Token {
                name: Some("alice".into()),
                roles: vec!["Incident Commander".into(), "SRE on-call".into()]
            }
        );
        assert_eq!(g("b2").seat.name(), Some("bob"));
        assert_eq!(g("c3").role, Role::Observer);
        assert_eq!(
            t.grant(Some("c3"), Role::Commander).map(|g| g.role),
            Some(Role::Observer)
        );
        assert!(t.grant(Some("nope"), Role::Commander).is_none());
        let t = Tokens::parse("f facilitator dana\np participant erin\n").unwrap();
        let role = |k, asked| t.grant(Some(k), asked).map(|g| g.role);
        assert_eq!(role("f", Role::Commander), Some(Role::Facilitator));
        assert_eq!(role("f", Role::Observer), Some(Role::Observer));
        assert_eq!(
            role("p", Role::Facilitator),
            Some(Role::Commander),
            "a participant's token never facilitates"
        );
    }

    #[test]
    fn bad_lines_are_named() {
        for (text, want) in [
            (
                "x\n",
                "line 1: expected `TOKEN facilitator|commander|participant|observer [NAME] \
                 [\"Role title\" …]`",
            ),
            (
                "\nx boss\n",
                "line 2: unknown role \"boss\" (facilitator, commander, participant or observer)",
            ),
            (
                "x commander alice \"SRE on-call\n",
                "line 1: unterminated quote in \"\\\"SRE on-call\"",
            ),
            (
                "x commander alice SRE\n",
                "line 1: \"SRE\": a role title goes in double quotes (\"SRE on-call\"), after the name",
            ),
            ("x commander alice \"\"\n", "line 1: an empty role title (\"\")"),
            (
                "x commander \"SRE\"x\n",
                "line 1: a space must follow the closing quote in \"x commander \\\"SRE\\\"x\"",
            ),
        ] {
            assert_eq!(Tokens::parse(text).unwrap_err(), want, "{text:?}");
        }
    }

    #[test]
    fn owned_items_take_the_owner_or_the_incident_commander() {
        let sre = Seat::Token {
            name: Some("alice".into()),
            roles: vec!["sre ON-CALL".into()],
        };
        let ic = Seat::Token {
            name: None,
            roles: vec!["incident commander".into()],
        };
        let nobody = Seat::Token {
            name: Some("dave".into()),
            roles: vec![],
        };
        assert!(sre.may_check(Some("SRE on-call")));
        assert!(!sre.may_check(Some("DBA")));
        assert!(ic.may_check(Some("DBA")));
        assert!(nobody.may_check(None));
        assert!(!nobody.may_check(Some("DBA")));
        assert!(Seat::Open.may_check(Some("DBA")));
        assert_eq!(nobody.describe("x"), "dave (no role)");
        assert_eq!(sre.describe("x"), "alice (sre ON-CALL)");
    }
}
