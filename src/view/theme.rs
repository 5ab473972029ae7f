//! Themes: semantic roles (ok, warn, crit, …) mapped to styles, loaded from TOML. Built-in
//! themes are embedded; a user file may override only some roles of a base theme.

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::core::sanitize::sanitize;

/// Built-in themes, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// Every role a theme sets. Each status also has a glyph and a word, so no role is the only
/// carrier of meaning.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub muted: Style,
    pub accent: Style,
    pub border: Style,
    pub border_focus: Style,
    pub title: Style,
    pub ok: Style,
    pub warn: Style,
    pub crit: Style,
    pub nodata: Style,
    pub paused: Style,
    pub rolled_back: Style,
    pub pending: Style,
    pub active: Style,
    pub replay: Style,
    pub live: Style,
    pub selection: Style,
    pub bar_done: Style,
    pub bar_todo: Style,
    pub background: Style,
}

const ROLES: [&str; 21] = [
    "text",
    "muted",
    "accent",
    "border",
    "border_focus",
    "title",
    "ok",
    "warn",
    "crit",
    "nodata",
    "paused",
    "rolled_back",
    "pending",
    "active",
    "replay",
    "live",
    "selection",
    "bar_done",
    "bar_todo",
    "background",
    // kept last: not a style role, listed so the error message can name it
    "extends",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    name: Option<String>,
    /// Base theme the roles are laid over (default "dark"); built-in files leave it out.
    #[serde(default)]
    extends: Option<String>,
    #[serde(default)]
    roles: BTreeMap<String, RoleSpec>,
}

/// A role as written: a colour alone (`ok = "green"`) or a table (`ok = { fg = "green",
/// bold = true }`). Read by hand rather than as an untagged enum, whose one error ("did not
/// match any variant") names neither what was wrong nor what is right.
enum RoleSpec {
    Fg(String),
    Full(FullRole),
}

impl<'de> Deserialize<'de> for RoleSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Spec;
        impl<'de> serde::de::Visitor<'de> for Spec {
            type Value = RoleSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a colour (\"green\", \"#rrggbb\" or \"0\" to \"255\") or a table such as \
                     { fg = \"red\", bold = true }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RoleSpec, E> {
                Ok(RoleSpec::Fg(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RoleSpec, A::Error> {
                FullRole::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RoleSpec::Full)
            }
        }
        d.deserialize_any(Spec)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(clippy::struct_excessive_bools)] // one flag per text attribute, as the TOML spells them
struct FullRole {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reversed: bool,
}

/// A theme that could not be used: names the file, the key and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", sanitize(.file), sanitize(.message))]
pub struct ThemeError {
    pub file: String,
    pub message: String,
}

impl Theme {
    /// A built-in theme by name, or a TOML file by path.
    ///
    /// # Errors
    /// Unknown name, unreadable file, or a bad key or value (named).
    pub fn load(name_or_path: &str) -> Result<Theme, ThemeError> {
        if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return Theme::parse(name_or_path, text, None);
        }
        let looks_like_path = name_or_path.contains('/')
            || std::path::Path::new(name_or_path)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        if !looks_like_path {
            return Err(ThemeError {
                file: name_or_path.into(),
                message: format!(
                    "no built-in theme of that name (built in: {})",
                    builtin_names()
                ),
            });
        }
        let text = std::fs::read_to_string(name_or_path).map_err(|e| ThemeError {
            file: name_or_path.into(),
            message: format!("cannot read: {e}"),
        })?;
        Theme::parse(name_or_path, &text, Some("dark"))
    }

    /// Parses theme TOML; `default_base` is laid under it unless it says `extends`.
    ///
    /// # Errors
    /// A bad key or value, with its place.
    pub fn parse(file: &str, text: &str, default_base: Option<&str>) -> Result<Theme, ThemeError> {
        let err = |message: String| ThemeError {
            file: file.into(),
            message,
        };
        // Errors read like a configuration's: `line N: key.path: what is wrong`.
        let de = toml::Deserializer::parse(text)
            .map_err(|e| err(crate::config::toml_message(text, &e, None)))?;
        let parsed: ThemeFile = serde_path_to_error::deserialize(crate::format::strict::Strict(de))
            .map_err(|e| err(crate::config::toml_message(text, e.inner(), Some(e.path()))))?;
        let at = |message: String| err(crate::config::with_line(text, message));
        let base_name = parsed.extends.as_deref().or(default_base);
        let mut theme = match base_name {
            Some(b) => {
                let (_, base_text) = BUILTIN.iter().find(|(n, _)| *n == b).ok_or_else(|| {
                    at(format!(
                        "extends: no built-in theme {b:?} (built in: {})",
                        builtin_names()
                    ))
                })?;
                Theme::parse(b, base_text, None)?
            }
            None => Theme::blank(),
        };
        theme.name = parsed.name.unwrap_or_else(|| file.to_string());
        for (key, spec) in parsed.roles {
            let style = spec
                .to_style()
                .map_err(|m| at(format!("roles.{key}: {m}")))?;
            let slot = theme.role_mut(&key).ok_or_else(|| {
                at(format!(
                    "roles.{key}: unknown role {key:?} (roles: {})",
                    ROLES[..ROLES.len() - 1].join(", ")
                ))
            })?;
            *slot = style;
        }
        Ok(theme)
    }

    fn blank() -> Theme {
        let s = Style::default();
        Theme {
            name: String::new(),
            text: s,
            muted: s,
            accent: s,
            border: s,
            border_focus: s,
            title: s,
            ok: s,
            warn: s,
            crit: s,
            nodata: s,
            paused: s,
            rolled_back: s,
            pending: s,
            active: s,
            replay: s,
            live: s,
            selection: s,
            bar_done: s,
            bar_todo: s,
            background: s,
        }
    }

    fn role_mut(&mut self, key: &str) -> Option<&mut Style> {
        Some(match key {
            "text" => &mut self.text,
            "muted" => &mut self.muted,
            "accent" => &mut self.accent,
            "border" => &mut self.border,
            "border_focus" => &mut self.border_focus,
            "title" => &mut self.title,
            "ok" => &mut self.ok,
            "warn" => &mut self.warn,
            "crit" => &mut self.crit,
            "nodata" => &mut self.nodata,
            "paused" => &mut self.paused,
            "rolled_back" => &mut self.rolled_back,
            "pending" => &mut self.pending,
            "active" => &mut self.active,
            "replay" => &mut self.replay,
            "live" => &mut self.live,
            "selection" => &mut self.selection,
            "bar_done" => &mut self.bar_done,
            "bar_todo" => &mut self.bar_todo,
            "background" => &mut self.background,
            _ => return None,
        })
    }

    /// The same theme with every colour removed (modifiers kept): what `NO_COLOR` asks for.
    /// Built on the monochrome theme so that roles stay distinguishable by weight.
    #[must_use]
    pub fn without_color(&self) -> Theme {
        let mut mono = Theme::load("mono").unwrap_or_else(|_| Theme::blank());
        mono.name = format!("{} (no colour)", self.name);
        mono
    }

    /// Every role, for tests and the theme listing.
    #[must_use]
    pub fn roles(&self) -> Vec<(&'static str, Style)> {
        let mut t = self.clone();
        ROLES[..ROLES.len() - 1]
            .iter()
            .map(|r| (*r, *t.role_mut(r).unwrap_or(&mut Style::default())))
            .collect()
    }
}

fn builtin_names() -> String {
    BUILTIN
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

impl RoleSpec {
    fn to_style(&self) -> Result<Style, String> {
        match self {
            RoleSpec::Fg(c) => Ok(Style::default().fg(color(c)?)),
            RoleSpec::Full(f) => {
                let mut s = Style::default();
                if let Some(c) = &f.fg {
                    s = s.fg(color(c).map_err(|m| format!("fg: {m}"))?);
                }
                if let Some(c) = &f.bg {
                    s = s.bg(color(c).map_err(|m| format!("bg: {m}"))?);
                }
                for (on, m) in [
                    (f.bold, Modifier::BOLD),
                    (f.dim, Modifier::DIM),
                    (f.italic, Modifier::ITALIC),
                    (f.underline, Modifier::UNDERLINED),
                    (f.reversed, Modifier::REVERSED),
                ] {
                    if on {
                        s = s.add_modifier(m);
                    }
                }
                Ok(s)
            }
        }
    }
}

fn color(text: &str) -> Result<Color, String> {
    let t = text.trim();
    let valid_hex = t
        .strip_prefix('#')
        .is_some_and(|h| h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit()));
    if t.starts_with('#') && !valid_hex {
        return Err(format!("bad colour {text:?} (hex colours are #rrggbb)"));
    }
    Color::from_str(t).map_err(|_| {
        format!("unknown colour {text:?} (use a name such as green or lightred, #rrggbb, or 0-255)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_loads_and_sets_every_status_role() {
        for (name, _) in BUILTIN {
            let t = Theme::load(name).unwrap();
            for (role, style) in t.roles() {
                if ["ok", "warn", "crit", "nodata", "paused", "rolled_back"].contains(&role) {
                    assert_ne!(style, Style::default(), "{name}: role {role} unset");
                }
            }
        }
    }

    #[test]
    fn partial_override_keeps_the_rest() {
        let t = Theme::parse("mine.toml", "[roles]\nok = \"#00ff00\"\n", Some("dark")).unwrap();
        let dark = Theme::load("dark").unwrap();
        assert_eq!(t.ok, Style::default().fg(Color::Rgb(0, 255, 0)));
        assert_eq!(t.crit, dark.crit);
    }

    #[test]
    fn bad_theme_names_file_key_and_value() {
        let e = |text: &str| {
            Theme::parse("mine.toml", text, Some("dark"))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(e("[roles]\nok = \"gren\"\n"), "mine.toml: line 2: roles.ok: unknown colour \"gren\" (use a name such as green or lightred, #rrggbb, or 0-255)");
        assert!(
            e("[roles]\nokay = \"green\"\n")
                .starts_with("mine.toml: line 2: roles.okay: unknown role \"okay\""),
            "{}",
            e("[roles]\nokay = \"green\"\n")
        );
        assert_eq!(
            e("[roles]\nwarn = { fg = \"#12345\" }\n"),
            "mine.toml: line 2: roles.warn: fg: bad colour \"#12345\" (hex colours are #rrggbb)"
        );
    }

    /// Every way a role can be wrong names the line, the key and what was there: no "did not
    /// match any variant of untagged enum".
    #[test]
    fn every_shape_error_names_the_key_and_the_value() {
        for (text, says) in [
            (
                "[roles]\ncrit = { fg = \"red\", blink = true }\n",
                "mine.toml: line 2: roles.crit.blink: unknown field `blink`, expected one of `fg`, `bg`, `bold`, `dim`, `italic`, `underline`, `reversed`",
            ),
            (
                "[roles]\nok = 5\n",
                "mine.toml: line 2: roles.ok: expected a colour (\"green\", \"#rrggbb\" or \"0\" to \"255\") or a table such as { fg = \"red\", bold = true }, found the integer 5",
            ),
            (
                "[roles]\nok = [\"green\"]\n",
                "mine.toml: line 2: roles.ok: expected a colour (\"green\", \"#rrggbb\" or \"0\" to \"255\") or a table such as { fg = \"red\", bold = true }, found an array",
            ),
            (
                "[roles]\ncrit = { fg = \"red\", bold = \"yes\" }\n",
                "mine.toml: line 2: roles.crit.bold: expected true or false, found the string \"yes\"",
            ),
            (
                "[roles]\ncrit = { fg = 9 }\n",
                "mine.toml: line 2: roles.crit.fg: expected a string, found the integer 9",
            ),
            (
                "name = 5\n",
                "mine.toml: line 1: name: expected a string, found the integer 5",
            ),
            (
                "roles = \"green\"\n",
                "mine.toml: line 1: roles: expected a table, found the string \"green\"",
            ),
            (
                "colours = {}\n",
                "mine.toml: line 1: colours: unknown field `colours`, expected one of `name`, `extends`, `roles`",
            ),
            (
                "extends = \"solarized\"\n",
                "mine.toml: line 1: extends: no built-in theme \"solarized\" (built in: dark, light, high-contrast, colorblind, mono)",
            ),
            ("[roles\nok = 1\n", "mine.toml: line 1: "),
        ] {
            let got = Theme::parse("mine.toml", text, Some("dark"))
                .unwrap_err()
                .to_string();
            assert!(got.starts_with(says), "{text:?}\n  got:  {got}\n  want: {says}");
            assert!(!got.contains("untagged"), "{got}");
        }
    }
}
