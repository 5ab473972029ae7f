//! The status-update composer: a small text editor over the update's lines, pre-filled from
//! the state (see [`super::status_update::draft`]). Pure: keys in, text out.

use super::intent::Key;

/// Longest update, in characters (what a person can type into it).
pub const MAX_CHARS: usize = 4_000;

/// The update being written: its lines and the cursor (line, character).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composer {
    pub lines: Vec<String>,
    pub row: usize,
    pub col: usize,
    /// Why the last Ctrl+S did not post.
    pub error: Option<String>,
}

/// What a key did to the composer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    Edited,
    /// Esc or Ctrl+C: closed, nothing posted.
    Cancelled,
    /// Ctrl+S: post the text.
    Post(String),
}

impl Composer {
    /// A composer holding `text`, the cursor at its end.
    #[must_use]
    pub fn new(text: &str) -> Composer {
        let lines: Vec<String> = text.split('\n').map(String::from).collect();
        let row = lines.len() - 1;
        let col = lines[row].chars().count();
        Composer {
            lines,
            row,
            col,
            error: None,
        }
    }

    #[must_use]
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    fn chars(&self) -> usize {
        self.lines.iter().map(|l| l.chars().count() + 1).sum()
    }

    fn byte(&self, row: usize, col: usize) -> usize {
        self.lines[row]
            .char_indices()
            .nth(col)
            .map_or(self.lines[row].len(), |(i, _)| i)
    }

    fn len(&self, row: usize) -> usize {
        self.lines[row].chars().count()
    }

    /// A key while the composer is open.
    pub fn key(&mut self, key: Key) -> Edit {
        self.error = None;
        match key {
            Key::Esc | Key::CtrlC => return Edit::Cancelled,
            Key::CtrlS => return Edit::Post(self.text()),
            Key::Char(c) if !c.is_control() && self.chars() < MAX_CHARS => {
                let at = self.byte(self.row, self.col);
                self.lines[self.row].insert(at, c);
                self.col += 1;
            }
            Key::Enter if self.chars() < MAX_CHARS => {
                let at = self.byte(self.row, self.col);
                let rest = self.lines[self.row].split_off(at);
                self.row += 1;
                self.lines.insert(self.row, rest);
                self.col = 0;
            }
            Key::Backspace if self.col > 0 => {
                let at = self.byte(self.row, self.col - 1);
                self.lines[self.row].remove(at);
                self.col -= 1;
            }
            Key::Backspace if self.row > 0 => {
                let line = self.lines.remove(self.row);
                self.row -= 1;
                self.col = self.len(self.row);
                self.lines[self.row].push_str(&line);
            }
            Key::Left if self.col > 0 => self.col -= 1,
            Key::Left if self.row > 0 => {
                self.row -= 1;
                self.col = self.len(self.row);
            }
            Key::Right if self.col < self.len(self.row) => self.col += 1,
            Key::Right if self.row + 1 < self.lines.len() => {
                self.row += 1;
                self.col = 0;
            }
            Key::Up if self.row > 0 => {
                self.row -= 1;
                self.col = self.col.min(self.len(self.row));
            }
            Key::Down if self.row + 1 < self.lines.len() => {
                self.row += 1;
                self.col = self.col.min(self.len(self.row));
            }
            Key::Home => self.col = 0,
            Key::End => self.col = self.len(self.row),
            _ => {}
        }
        Edit::Edited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(c: &mut Composer, s: &str) {
        for ch in s.chars() {
            c.key(if ch == '\n' {
                Key::Enter
            } else {
                Key::Char(ch)
            });
        }
    }

    #[test]
    fn typing_moving_and_joining_lines_edit_the_text() {
        let mut c = Composer::new("STATUS: IN PROGRESS\nNext");
        typed(&mut c, " Update");
        assert_eq!(c.text(), "STATUS: IN PROGRESS\nNext Update");
        c.key(Key::Up);
        c.key(Key::End);
        typed(&mut c, " — held\nnew line");
        assert_eq!(
            c.text(),
            "STATUS: IN PROGRESS — held\nnew line\nNext Update"
        );
        c.key(Key::Home);
        c.key(Key::Backspace);
        assert_eq!(c.text(), "STATUS: IN PROGRESS — heldnew line\nNext Update");
        assert_eq!((c.row, c.col), (0, 26));
        c.key(Key::Left);
        c.key(Key::Backspace);
        assert_eq!(
            c.lines[0], "STATUS: IN PROGRESS — hednew line",
            "multi-byte safe"
        );
        assert_eq!(c.key(Key::CtrlS), Edit::Post(c.text()));
        assert_eq!(c.key(Key::Esc), Edit::Cancelled);
    }

    #[test]
    fn the_text_is_bounded() {
        let mut c = Composer::new("");
        typed(&mut c, &"x".repeat(MAX_CHARS + 50));
        assert!(c.text().chars().count() < MAX_CHARS);
    }
}
