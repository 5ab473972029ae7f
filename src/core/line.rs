//! The `:` command line, in the manner of k9s and vim: what it understands, and completion of
//! command names and of their first argument.

use super::timeline::Kind;

/// The commands the line knows, as typed, with what follows them.
pub const COMMANDS: &[(&str, &str)] = &[
    ("pause", "REASON"),
    ("resume", "[REASON]"),
    ("advance", "[REASON]"),
    ("rollback", "REASON"),
    ("note", "TEXT"),
    ("check", "ITEM [NOTE]"),
    ("milestone", "detected|ack|mitigated|resolved [REASON]"),
    ("incident", ""),
    ("status", ""),
    ("injects", ""),
    ("release", "INJECT"),
    ("speed", "FACTOR"),
    ("seek", "T+20m"),
    ("uncheck", "ITEM [NOTE]"),
    ("goto", "T+12m | 09:17:38Z | RFC 3339"),
    ("filter", "KIND | all"),
    ("theme", "NAME"),
    ("help", ""),
    ("q", ""),
];

/// Short forms that are not prefixes of a command's name.
const ALIASES: &[(&str, &str)] = &[("quit", "q"), ("q!", "q"), ("rb", "rollback")];

/// The `:` command line at the bottom of the screen, being typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandLine {
    /// What follows the `:`.
    pub input: String,
    /// Why the last Enter did nothing (an unknown command, an unknown item, …).
    pub error: Option<String>,
    /// What the last Tab found when it could not choose one ("pause  pending …").
    pub choices: Vec<String>,
}

/// A command the `:` line understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineCommand {
    /// `:check ITEM [note]` (`tick: true`) or `:uncheck ITEM [note]`.
    Check {
        tick: bool,
        item: String,
        note: String,
    },
    /// `:pause`, `:resume`, `:advance`, `:rollback`, `:note`: the same confirmation as the
    /// key, with the reason (or the note) already typed.
    Command {
        action: super::command::Action,
        reason: String,
    },
    /// `:milestone [WORD] [reason]`: the milestone's confirmation (`None`: the next one).
    Milestone {
        word: Option<String>,
        reason: String,
    },
    /// `:status`: the status update's composer.
    Status,
    /// `:injects`: the exercise's injects still to come (the facilitator's seat).
    Injects,
    /// `:release NAME`, `:speed 4`, `:seek T+20m`: the facilitator's control of the exercise.
    Exercise {
        action: super::command::Action,
        item: String,
    },
    /// `:incident`: the newest incident's detail, with its times to acknowledge, mitigate
    /// and resolve.
    Incident,
    Goto(String),
    /// `None`: all kinds.
    Filter(Option<Kind>),
    Theme(String),
    Help,
    Quit,
}

/// What the line can complete an argument from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Vocabulary<'a> {
    pub items: &'a [String],
    pub themes: &'a [String],
}

impl CommandLine {
    /// Longest command line, in characters.
    pub const MAX: usize = 240;

    /// What the line says, or why it cannot be run. `None`: nothing typed.
    ///
    /// # Errors
    /// An unknown command or a missing argument, in words for the line itself.
    pub fn parse(&self) -> Result<Option<LineCommand>, String> {
        use super::command::Action;
        let text = self.input.trim();
        let Some(typed) = text.split_whitespace().next() else {
            return Ok(None);
        };
        let rest = text[typed.len()..].trim_start();
        let word = resolve(typed)?;
        let (first, more) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let action = |a: Action| {
            Ok(Some(LineCommand::Command {
                action: a,
                reason: rest.to_string(),
            }))
        };
        match word {
            "check" | "uncheck" if first.is_empty() => Err(format!("usage: :{word} ITEM [note]")),
            "check" | "uncheck" => Ok(Some(LineCommand::Check {
                tick: word == "check",
                item: first.to_string(),
                note: more.trim().to_string(),
            })),
            "milestone" => Ok(Some(LineCommand::Milestone {
                word: Some(first.to_string()).filter(|w| !w.is_empty()),
                reason: more.trim().to_string(),
            })),
            "incident" => Ok(Some(LineCommand::Incident)),
            "injects" => Ok(Some(LineCommand::Injects)),
            "status" => Ok(Some(LineCommand::Status)),
            "release" | "speed" | "seek" if first.is_empty() => Err(format!(
                "usage: :{word} {}",
                COMMANDS
                    .iter()
                    .find(|(c, _)| *c == word)
                    .map_or("", |(_, a)| *a)
            )),
            "release" | "speed" | "seek" => Ok(Some(LineCommand::Exercise {
                action: match word {
                    "release" => Action::Release,
                    "speed" => Action::ExerciseSpeed,
                    _ => Action::ExerciseSeek,
                },
                item: rest.to_string(),
            })),
            "pause" => action(Action::Pause),
            "resume" => action(Action::Resume),
            "advance" => action(Action::Advance),
            "rollback" => action(Action::Rollback),
            "note" => action(Action::Note),
            "goto" if rest.is_empty() => Err(format!("usage: :goto {}", super::goto::FORMS)),
            "goto" => Ok(Some(LineCommand::Goto(rest.to_string()))),
            "filter" => match rest {
                "" | "all" => Ok(Some(LineCommand::Filter(None))),
                k => Kind::ALL
                    .into_iter()
                    .find(|x| x.word() == k)
                    .map(|x| Some(LineCommand::Filter(Some(x))))
                    .ok_or_else(|| {
                        format!(
                            "no kind {k:?}: all, {}",
                            Kind::ALL.map(Kind::word).join(", ")
                        )
                    }),
            },
            "theme" if rest.is_empty() => Err("usage: :theme NAME".into()),
            "theme" => Ok(Some(LineCommand::Theme(rest.to_string()))),
            "help" => Ok(Some(LineCommand::Help)),
            _ => Ok(Some(LineCommand::Quit)),
        }
    }

    /// Tab: completes the command's name, or its first argument from `vocab`. One candidate
    /// is taken with a space after it; several extend the text to what they share and are
    /// listed in [`CommandLine::choices`].
    pub fn complete(&mut self, vocab: Vocabulary<'_>) {
        self.error = None;
        let text = self.input.trim_start().to_string();
        let (word, rest) = match text.split_once(' ') {
            Some((w, r)) => (w, Some(r)),
            None => (text.as_str(), None),
        };
        let (prefix, candidates): (String, Vec<String>) = match rest {
            None => (
                String::new(),
                COMMANDS
                    .iter()
                    .map(|(c, _)| (*c).to_string())
                    .filter(|c| c.starts_with(word))
                    .collect(),
            ),
            Some(arg) if !arg.contains(' ') => {
                let pool: Vec<String> = match resolve(word) {
                    Ok("check" | "uncheck") => vocab.items.to_vec(),
                    Ok("theme") => vocab.themes.to_vec(),
                    Ok("filter") => std::iter::once("all")
                        .chain(Kind::ALL.map(Kind::word))
                        .map(String::from)
                        .collect(),
                    _ => Vec::new(),
                };
                (
                    format!("{word} "),
                    pool.into_iter().filter(|c| c.starts_with(arg)).collect(),
                )
            }
            Some(_) => (String::new(), Vec::new()),
        };
        match candidates.as_slice() {
            [] => {
                self.choices.clear();
                self.error = Some("nothing to complete".into());
            }
            [one] => {
                self.input = format!("{prefix}{one} ");
                self.choices.clear();
            }
            many => {
                let shared = common_prefix(many);
                self.input = format!("{prefix}{shared}");
                self.choices = many.to_vec();
            }
        }
    }

    /// What the line would run, as a hint: "pause REASON".
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        let word = self.input.split_whitespace().next()?;
        let name = resolve(word).ok()?;
        let (_, args) = COMMANDS.iter().find(|(c, _)| *c == name)?;
        Some(format!(":{name} {args}").trim_end().to_string())
    }
}

/// The command a typed word names: itself, an alias, or the one command it is a prefix of.
fn resolve(typed: &str) -> Result<&'static str, String> {
    if let Some((c, _)) = COMMANDS.iter().find(|(c, _)| *c == typed) {
        return Ok(c);
    }
    if let Some((_, c)) = ALIASES.iter().find(|(a, _)| *a == typed) {
        return Ok(c);
    }
    let matching: Vec<&str> = COMMANDS
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| c.starts_with(typed))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "unknown command :{} (Tab completes; known: {})",
            super::sanitize::sanitize(typed),
            COMMANDS
                .iter()
                .map(|(c, _)| *c)
                .collect::<Vec<_>>()
                .join(" ")
        )),
        many => Err(format!(":{typed} could be {}", many.join(", "))),
    }
}

fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut n = first.len();
    for w in &words[1..] {
        n = first
            .char_indices()
            .zip(w.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(n);
    }
    first[..n].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::command::Action;

    fn line(s: &str) -> CommandLine {
        CommandLine {
            input: s.into(),
            ..CommandLine::default()
        }
    }

    #[test]
    fn parses_every_command_and_prefixes() {
        assert_eq!(
            line("pause error rate climbing").parse(),
            Ok(Some(LineCommand::Command {
                action: Action::Pause,
                reason: "error rate climbing".into()
            }))
        );
        assert_eq!(
            line("rb  bad canary").parse(),
            Ok(Some(LineCommand::Command {
                action: Action::Rollback,
                reason: "bad canary".into()
            }))
        );
        assert_eq!(
            line("go T+12m").parse(),
            Ok(Some(LineCommand::Goto("T+12m".into())))
        );
        assert_eq!(
            line("filter alert").parse(),
            Ok(Some(LineCommand::Filter(Some(Kind::Alert))))
        );
        assert_eq!(line("filter").parse(), Ok(Some(LineCommand::Filter(None))));
        assert_eq!(line("q").parse(), Ok(Some(LineCommand::Quit)));
        assert_eq!(line("quit").parse(), Ok(Some(LineCommand::Quit)));
        assert_eq!(line("").parse(), Ok(None));
        assert!(line("r x")
            .parse()
            .expect_err("ambiguous")
            .contains("rollback"));
        assert!(line("filter nope").parse().is_err());
        assert!(line("frobnicate")
            .parse()
            .expect_err("unknown")
            .contains("Tab"));
        assert_eq!(
            line("check c3 ok").parse(),
            Ok(Some(LineCommand::Check {
                tick: true,
                item: "c3".into(),
                note: "ok".into()
            }))
        );
    }

    #[test]
    fn tab_completes_names_and_arguments() {
        let items = vec!["db-backup".to_string(), "db-migrate".to_string()];
        let themes = vec!["dark".to_string(), "light".to_string()];
        let vocab = Vocabulary {
            items: &items,
            themes: &themes,
        };
        let mut l = line("rol");
        l.complete(vocab);
        assert_eq!(l.input, "rollback ");
        let mut l = line("p");
        l.complete(vocab);
        assert_eq!(l.input, "pause ");
        let mut l = line("check db");
        l.complete(vocab);
        assert_eq!((l.input.as_str(), l.choices.len()), ("check db-", 2));
        let mut l = line("theme l");
        l.complete(vocab);
        assert_eq!(l.input, "theme light ");
        let mut l = line("filter al");
        l.complete(vocab);
        assert_eq!(l.input, "filter al");
        assert_eq!(l.choices, vec!["all", "alert"]);
        let mut l = line("zz");
        l.complete(vocab);
        assert!(l.error.is_some());
        assert_eq!(line("rollback").hint().as_deref(), Some(":rollback REASON"));
    }
}
