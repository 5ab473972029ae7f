//! Who may connect to the control plane, and as what: the `--tokens` file.

use std::collections::HashMap;

use crate::core::command::Role;

/// Who may connect, and as what. Empty: anyone, with the role they ask for.
#[derive(Clone, Debug, Default)]
pub struct Tokens(pub HashMap<String, Role>);

impl Tokens {
    /// Parses `TOKEN ROLE` lines (`#` comments and blank lines ignored).
    ///
    /// # Errors
    /// A line that is not a token and a role, with its number.
    pub fn parse(text: &str) -> Result<Tokens, String> {
        let mut map = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (Some(token), Some(role), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!(
                    "line {}: expected `TOKEN commander|observer`",
                    n + 1
                ));
            };
            let role = match role {
                "commander" => Role::Commander,
                "observer" => Role::Observer,
                other => {
                    return Err(format!(
                        "line {}: unknown role {other:?} (commander or observer)",
                        n + 1
                    ))
                }
            };
            map.insert(token.to_string(), role);
        }
        Ok(Tokens(map))
    }

    /// The role granted for a hello, or `None` when the token is refused.
    #[must_use]
    pub fn grant(&self, token: Option<&str>, asked: Role) -> Option<Role> {
        if self.0.is_empty() {
            return Some(asked);
        }
        let granted = *self.0.get(token?)?;
        Some(if granted == Role::Observer {
            Role::Observer
        } else {
            asked
        })
    }
}
