//! The bytes a frame costs on the wire. A ratatui backend that knows what the terminal is
//! showing and how its pen is set, so that a frame says only what changed:
//!
//! - one `write()` a frame, inside synchronized-update markers unless the frame is a few
//!   cells (a clock's digits), and nothing at all for a frame in which no cell changed;
//! - the pen (colours and attributes) carries over from one frame to the next: no reset at
//!   the end of every frame, and an attribute change says only what changed, in one SGR;
//! - the sixteen ANSI colours as their short codes (`32`, `97`), which a 16-colour terminal
//!   understands, rather than `38;5;N`;
//! - the shortest cursor move: none, a carriage return, line feeds and backspaces (raw mode
//!   does no output processing, so a line feed only goes down), a relative step, or
//!   rewriting the one to four unchanged cells in between when they are plain text in the
//!   current pen;
//! - the cursor hidden once, not once a frame;
//! - rows that moved up or down (a timeline taking an entry, a panel above growing) moved by
//!   the terminal itself, by deleting or inserting lines within a scrolling region, and a
//!   stretch of a row that moved left by deleting and inserting a character;
//! - the cells of a frame written in the fewer bytes of two orders: row by row, or a colour
//!   at a time.
//!
//! The console's loop hands the screen the whole frame ([`Screen::present`]), which it
//! compares with what the terminal shows a row at a time; as a plain ratatui backend it takes
//! ratatui's diff instead.
//!
//! What the terminal shows is kept in a shadow of the screen, updated by every frame; the
//! cursor's place is forgotten wherever a terminal could disagree about it (after a cell that
//! is not one column wide, after the last column), and set again with an absolute move.

use std::io::{self, Write};

use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::{Buffer, Cell, CellDiffOption, CellWidth};
use ratatui::layout::{Position, Size};
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

/// Starts a synchronized update: the terminal shows the frame when it ends.
const BEGIN_FRAME: &[u8] = b"\x1b[?2026h";
/// Ends a synchronized update.
const END_FRAME: &[u8] = b"\x1b[?2026l";
/// A frame this small goes out without synchronized-update markers: one write of a few
/// hundred bytes reaches a terminal in one read (a pseudo-terminal's buffer, one packet over
/// SSH), so it is shown whole anyway, and the markers would be an eighth of it.
const SMALL_FRAME: usize = 256;
/// The most unchanged cells rewritten instead of a cursor move.
const MOST_REWRITTEN: u16 = 4;
/// The fewest cells a shift of part of a row must save writing to be worth its two
/// sequences and two moves.
const MIN_SHIFTED: usize = 6;
/// The fewest rows a scroll of part of the screen must save writing to be worth its four
/// sequences.
const MIN_SCROLLED: usize = 2;
/// The most cells whose order of writing is chosen (above it, row by row).
const MOST_REORDERED: usize = 1500;
/// The most rows gone down by line feeds (one byte each) rather than `CSI n B`.
const MOST_LINE_FEEDS: u16 = 4;
/// The most columns gone back by backspaces (one byte each) rather than `CSI n D`.
const MOST_BACKSPACES: u16 = 3;

/// How the terminal draws the next character: colours and attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pen {
    fg: Color,
    bg: Color,
    underline: Color,
    modifier: Modifier,
}

/// The pen after SGR 0.
const PLAIN: Pen = Pen {
    fg: Color::Reset,
    bg: Color::Reset,
    underline: Color::Reset,
    modifier: Modifier::empty(),
};

impl Pen {
    fn of(cell: &Cell) -> Pen {
        Pen {
            fg: cell.fg,
            bg: cell.bg,
            underline: cell.underline_color,
            modifier: cell.modifier,
        }
    }
}

/// Standard output, written straight to its descriptor: `std::io::Stdout` is line-buffered,
/// and would split a frame holding a line feed into two writes.
pub struct Tty;

impl Write for Tty {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        use std::os::fd::AsFd as _;
        rustix::io::write(io::stdout().as_fd(), buf).map_err(io::Error::from)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A terminal backend over any writer, writing the fewest bytes for each frame.
pub struct Screen<W: Write> {
    out: W,
    /// What has not been written yet: the frame being drawn.
    buf: Vec<u8>,
    /// Where the current frame's bytes begin in `buf` (after its begin marker), while one is
    /// being drawn.
    frame_at: Option<usize>,
    /// The terminal's pen, if known.
    pen: Option<Pen>,
    /// The cursor's place, if known (0-based column, row).
    at: Option<(u16, u16)>,
    /// Whether the cursor is shown, if known.
    visible: Option<bool>,
    /// What the terminal shows, row by row; empty when not known.
    shadow: Vec<Cell>,
    /// A hash of each of the shadow's rows, where `hashed` is set: where to look for a row a
    /// frame moved (every such row is compared cell by cell before it is moved).
    row_hashes: Vec<u64>,
    hashed: bool,
    /// The shadow's size, and the terminal's size when `fixed` is set.
    size: Size,
    /// A size that does not come from the terminal (off-screen tests, benchmarks).
    fixed: bool,
    /// Room to compose cursor moves and SGRs in before choosing the shortest.
    scratch: [Vec<u8>; 3],
}

impl<W: Write> Screen<W> {
    /// A screen on a terminal: its size is asked of the terminal.
    pub fn new(out: W) -> Screen<W> {
        let (width, height) = crossterm::terminal::size().unwrap_or((80, 24));
        let size = Size { width, height };
        Screen::with(out, size, false)
    }

    /// A screen of a fixed size, whatever the writer is.
    pub fn fixed(out: W, width: u16, height: u16) -> Screen<W> {
        Screen::with(out, Size { width, height }, true)
    }

    fn with(out: W, size: Size, fixed: bool) -> Screen<W> {
        Screen {
            out,
            buf: Vec::with_capacity(16 * 1024),
            frame_at: None,
            pen: None,
            at: None,
            visible: None,
            shadow: Vec::new(),
            row_hashes: Vec::new(),
            hashed: false,
            size,
            fixed,
            scratch: [
                Vec::with_capacity(32),
                Vec::with_capacity(32),
                Vec::with_capacity(32),
            ],
        }
    }

    /// The writer, for tests that take what was written.
    pub fn writer_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Starts a frame: what is drawn until [`Screen::end_frame`] goes out as one
    /// synchronized update in one write.
    pub fn begin_frame(&mut self) {
        self.buf.extend_from_slice(BEGIN_FRAME);
        self.frame_at = Some(self.buf.len());
    }

    /// Ends the frame and writes it, in one `write()` unless the terminal takes less; a frame
    /// that changed nothing writes nothing.
    ///
    /// # Errors
    /// Writing to the terminal failed.
    pub fn end_frame(&mut self) -> io::Result<()> {
        let Some(at) = self.frame_at.take() else {
            return self.commit();
        };
        if self.buf.len() - at <= SMALL_FRAME {
            // Nothing changed, or so little that its one write is shown at once anyway.
            self.buf.drain(at - BEGIN_FRAME.len()..at);
        } else {
            self.buf.extend_from_slice(END_FRAME);
        }
        self.commit()
    }

    fn commit(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let res = self
            .out
            .write_all(&self.buf)
            .and_then(|()| self.out.flush());
        self.buf.clear();
        if res.is_err() {
            // Part of it may have gone out: nothing about the terminal is known any more.
            self.forget();
        }
        res
    }

    /// Forgets the pen, the cursor and the screen's contents: the next frame says all.
    fn forget(&mut self) {
        self.pen = None;
        self.at = None;
        self.visible = None;
        self.shadow.clear();
    }

    /// Draws `frame`, the whole screen: compares it with what the terminal shows, a row at a
    /// time (a row that did not change costs one comparison of its cells), and says what
    /// changed as [`Backend::draw`] would have been told it by ratatui's diff. Where what the
    /// terminal shows is not known, the screen is cleared first.
    pub fn present(&mut self, frame: &Buffer) {
        let area = frame.area;
        debug_assert!(area.x == 0 && area.y == 0, "a full-screen frame");
        let size = Size {
            width: area.width,
            height: area.height,
        };
        let width = usize::from(size.width);
        if width == 0 || size.height == 0 {
            // Nothing to show, and no shadow to keep: which must not clear at every frame.
            self.size = size;
            return;
        }
        if self.shadow.is_empty() || self.size != size {
            // A terminal clears with the current background: clear with the plain pen.
            self.set_pen(PLAIN);
            self.buf.extend_from_slice(b"\x1b[2J");
            self.at = None;
            self.size = size;
            self.blank();
        }
        if !self.hashed {
            self.row_hashes = self.shadow.chunks_exact(width).map(row_hash).collect();
            self.hashed = true;
        }
        let rows: Vec<&[Cell]> = frame.content.chunks_exact(width).collect();
        // The hash of what each row that changed now holds.
        let mut changed: Vec<Option<u64>> = rows
            .iter()
            .enumerate()
            .map(|(y, row)| (!same_row(row, self.shadow_row(y))).then(|| row_hash(row)))
            .collect();
        self.scroll(&rows, &mut changed);
        let mut cells = Vec::new();
        // The cells of rows of narrow text, whose order of writing is free.
        let mut free = Vec::new();
        for (y, (row, hash)) in (0..size.height).zip(rows.iter().zip(changed)) {
            let Some(hash) = hash else {
                continue;
            };
            let prev = self.shadow_row(usize::from(y));
            if !same_row(row, prev) {
                let narrow = |c: &Cell| symbol_width(c) == 1;
                let narrow = row.iter().all(narrow) && prev.iter().all(narrow);
                cells.clear();
                row_changes(prev, row, y, &mut cells);
                if narrow {
                    self.plan_row(&cells, &mut free);
                } else {
                    self.draw_row(&cells);
                }
            }
            self.row_hashes[usize::from(y)] = hash;
        }
        self.put_all(&free);
    }

    /// Writes `cells` (narrow, each at its own place) in the fewer bytes of two orders: as
    /// they come (row by row), or a pen at a time (every cell of one colour, then the next),
    /// which saves switching colours back and forth along rows that alternate them (an SLO
    /// gauge's value, trend, sparkline and age) for longer cursor moves.
    fn put_all(&mut self, cells: &[(u16, u16, &Cell)]) {
        if cells.len() > MOST_REORDERED {
            for &(x, y, cell) in cells {
                self.put(x, y, cell);
            }
            return;
        }
        let (start, pen, at) = (self.buf.len(), self.pen, self.at);
        let before: Vec<Cell> = cells
            .iter()
            .map(|&(x, y, _)| self.shadow_cell(x, y).cloned().unwrap_or_default())
            .collect();
        for &(x, y, cell) in cells {
            self.put(x, y, cell);
        }
        let in_rows = self.buf.split_off(start);
        let after = (self.pen, self.at);
        // Back to where the first order began, and again a pen at a time.
        (self.pen, self.at) = (pen, at);
        for (&(x, y, _), old) in cells.iter().zip(before) {
            if x < self.size.width && y < self.size.height {
                let i = self.index(x, y);
                self.shadow[i] = old;
            }
        }
        let mut pens: Vec<Pen> = Vec::new();
        let mut order: Vec<(usize, (u16, u16, &Cell))> = cells
            .iter()
            .map(|&(x, y, cell)| {
                let pen = Pen::of(cell);
                let rank = pens.iter().position(|&p| p == pen).unwrap_or_else(|| {
                    pens.push(pen);
                    pens.len() - 1
                });
                (rank, (x, y, cell))
            })
            .collect();
        order.sort_by_key(|&(rank, _)| rank);
        for (_, (x, y, cell)) in order {
            self.put(x, y, cell);
        }
        if self.buf.len() - start > in_rows.len() {
            // The shadow is the same either way: every cell was written.
            self.buf.truncate(start);
            self.buf.extend_from_slice(&in_rows);
            (self.pen, self.at) = after;
        }
    }

    /// Row `y` of the shadow.
    fn shadow_row(&self, y: usize) -> &[Cell] {
        let width = usize::from(self.size.width);
        &self.shadow[y * width..(y + 1) * width]
    }

    /// Where runs of rows the frame holds are rows the terminal shows a few rows up or down
    /// (a timeline taking new entries, a panel above growing by a line): has the terminal
    /// move them itself, within a scrolling region, by deleting or inserting lines, so that
    /// they need not be written again. `changed` holds the hash of each row that differs
    /// from what the terminal shows; rows that are moved into place are taken out of it, and
    /// rows the move leaves blank are put in.
    fn scroll(&mut self, rows: &[&[Cell]], changed: &mut [Option<u64>]) {
        let height = rows.len();
        let new_hash = |y: usize, changed: &[Option<u64>]| changed[y].unwrap_or(self.row_hashes[y]);
        // (first row, last row, how far down in the shadow their content is, rows saved).
        let mut runs: Vec<(usize, usize, isize, usize)> = Vec::new();
        let mut y = 0;
        while y < height {
            let Some(hash) = changed[y] else {
                y += 1;
                continue;
            };
            // The nearest row of the shadow that holds what row `y` now holds.
            let found = (1..height).find_map(|k| {
                [y.checked_add(k), y.checked_sub(k)]
                    .into_iter()
                    .flatten()
                    .find(|&s| s < height && self.row_hashes[s] == hash)
            });
            let Some(from) = found else {
                y += 1;
                continue;
            };
            let delta = from.cast_signed() - y.cast_signed();
            let source = |r: usize| r.checked_add_signed(delta).filter(|&s| s < height);
            let mut last = y;
            while last + 1 < height
                && source(last + 1)
                    .is_some_and(|s| self.row_hashes[s] == new_hash(last + 1, changed))
            {
                last += 1;
            }
            let whole = (y..=last)
                .all(|r| source(r).is_some_and(|s| same_row(rows[r], self.shadow_row(s))));
            let saved = (y..=last).filter(|&r| changed[r].is_some()).count();
            if whole && saved >= MIN_SCROLLED {
                runs.push((y, last, delta, saved));
            }
            y = last + 1;
        }
        // The runs that save the most, where their scrolling regions do not overlap.
        runs.sort_by_key(|&(.., saved)| std::cmp::Reverse(saved));
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for (first, last, delta, _) in runs {
            let by = delta.unsigned_abs();
            let (top, bottom) = if delta > 0 {
                (first, last + by)
            } else {
                (first - by, last)
            };
            if taken.iter().any(|&(t, b)| top <= b && t <= bottom) {
                continue;
            }
            taken.push((top, bottom));
            changed[first..=last].fill(None);
            for r in self.move_rows(top, bottom, delta) {
                changed[r] = Some(changed[r].unwrap_or_else(|| row_hash(rows[r])));
            }
        }
    }

    /// Has the terminal move rows `top` to `bottom` up by `delta` rows (down where it is
    /// negative) within a scrolling region, and the shadow with them; returns the rows the
    /// move left blank.
    fn move_rows(
        &mut self,
        top: usize,
        bottom: usize,
        delta: isize,
    ) -> std::ops::RangeInclusive<usize> {
        // A row or a count of rows as a u16: the screen is at most u16::MAX rows high.
        let row16 = |r: usize| u16::try_from(r).unwrap_or(u16::MAX);
        let by = delta.unsigned_abs();
        // Lines a terminal inserts or deletes take the current background.
        if self.pen.is_none_or(|p| p.bg != Color::Reset) {
            self.set_pen(PLAIN);
        }
        self.buf.extend_from_slice(b"\x1b[");
        push_num(&mut self.buf, row16(top + 1));
        self.buf.push(b';');
        push_num(&mut self.buf, row16(bottom + 1));
        self.buf.push(b'r');
        // Setting the region homes the cursor.
        self.at = None;
        self.goto(0, row16(top));
        csi_n(
            &mut self.buf,
            row16(by),
            if delta > 0 { b'M' } else { b'L' },
        );
        self.buf.extend_from_slice(b"\x1b[r");
        self.at = None;
        // The shadow moves as the terminal did; the lines let in are blank.
        let width = usize::from(self.size.width);
        let region = &mut self.shadow[top * width..(bottom + 1) * width];
        let hashes = &mut self.row_hashes[top..=bottom];
        let blank = if delta > 0 {
            region.rotate_left(by * width);
            hashes.rotate_left(by);
            bottom + 1 - by..=bottom
        } else {
            region.rotate_right(by * width);
            hashes.rotate_right(by);
            top..=top + by - 1
        };
        for r in blank.clone() {
            self.shadow[r * width..(r + 1) * width].fill(Cell::EMPTY);
            self.row_hashes[r] = row_hash(self.shadow_row(r));
        }
        blank
    }

    /// Moves the cursor to (`x`, `y`) in the fewest bytes.
    fn goto(&mut self, x: u16, y: u16) {
        if self.at == Some((x, y)) {
            return;
        }
        // The cells a short step right would pass over, if writing them again is the move.
        let rewrite = match self.at {
            Some((cx, cy))
                if y == cy && x > cx && x - cx <= MOST_REWRITTEN && self.rewritable(y, cx, x) =>
            {
                Some(self.index(cx, y)..self.index(x, y))
            }
            _ => None,
        };
        let [abs, rel, alt] = &mut self.scratch;
        abs.clear();
        cup(abs, x, y);
        let mut best: &[u8] = abs;
        if let Some((cx, cy)) = self.at {
            rel.clear();
            if y > cy && y - cy <= MOST_LINE_FEEDS {
                // Raw mode has no output processing: a line feed goes straight down.
                rel.resize(usize::from(y - cy), b'\n');
            } else if y > cy {
                csi_n(rel, y - cy, b'B');
            } else if y < cy {
                csi_n(rel, cy - y, b'A');
            }
            if x > cx {
                if let Some(cells) = rewrite {
                    for c in &self.shadow[cells] {
                        rel.extend_from_slice(c.symbol().as_bytes());
                    }
                } else {
                    csi_n(rel, x - cx, b'C');
                }
            } else if x < cx {
                // Back by a relative step, or to the left edge and on from there.
                alt.clear();
                alt.push(b'\r');
                if x > 0 {
                    csi_n(alt, x, b'C');
                }
                let start = alt.len();
                if cx - x <= MOST_BACKSPACES {
                    alt.resize(start + usize::from(cx - x), 0x08);
                } else {
                    csi_n(alt, cx - x, b'D');
                }
                let (home, back) = alt.split_at(start);
                rel.extend_from_slice(if home.len() <= back.len() { home } else { back });
            }
            if rel.len() < best.len() {
                best = rel;
            }
        }
        self.buf.extend_from_slice(best);
        self.at = Some((x, y));
    }

    /// Sets the pen to `want` in one SGR, the shorter of a change and a reset.
    fn set_pen(&mut self, want: Pen) {
        if self.pen == Some(want) {
            return;
        }
        let [full, diff, _] = &mut self.scratch;
        full.clear();
        full.push(b'0');
        params_from(full, PLAIN, want);
        let mut chosen: &[u8] = full;
        if let Some(from) = self.pen {
            diff.clear();
            params_from(diff, from, want);
            // The change starts with a separator; the reset starts with its 0.
            if diff.len() - 1 <= full.len() {
                chosen = &diff[1..];
            }
        }
        self.buf.extend_from_slice(b"\x1b[");
        self.buf.extend_from_slice(chosen);
        self.buf.push(b'm');
        self.pen = Some(want);
    }

    /// Plans one row of narrow text: moves a stretch that moved left (see
    /// [`Screen::shift`]), and adds the cells still to write to `out`.
    fn plan_row<'a>(&mut self, row: &[(u16, u16, &'a Cell)], out: &mut Vec<(u16, u16, &'a Cell)>) {
        let Some(&(_, y, _)) = row.first() else {
            return;
        };
        let shifted = self.shift(y, row);
        out.extend(row.iter().copied().filter(|&(x, y, cell)| {
            !(shifted.as_ref().is_some_and(|r| r.contains(&x))
                && self.shadow_cell(x, y).is_some_and(|c| c == cell))
        }));
    }

    /// Draws one row's changed cells (all on the same row, left to right).
    fn draw_row(&mut self, row: &[(u16, u16, &Cell)]) {
        let Some(&(_, y, _)) = row.first() else {
            return;
        };
        let shifted = self.shift(y, row);
        let mut cells = row.iter().copied().peekable();
        while let Some((x, y, cell)) = cells.next() {
            if shifted.as_ref().is_some_and(|r| r.contains(&x))
                && self.shadow_cell(x, y).is_some_and(|c| c == cell)
            {
                continue;
            }
            // Writing over the first half of a wide character leaves its other half to the
            // terminal, which clears it in the current pen (a visible underline, reverse or
            // background): say what is there, unless the frame says it next anyway.
            let now = symbol_width(cell).max(1);
            let end = (x..x.saturating_add(now))
                .map(|p| p.saturating_add(self.width_at(p, y)))
                .max()
                .unwrap_or(x);
            self.put(x, y, cell);
            for tx in x.saturating_add(now)..end {
                if cells.peek().is_some_and(|&(nx, ny, _)| (nx, ny) == (tx, y)) {
                    continue;
                }
                if let Some(trail) = self.shadow_cell(tx, y).cloned() {
                    self.put(tx, y, &trail);
                }
            }
        }
    }

    /// Where a stretch of row `y` moved one column left (a sparkline taking a new sample, a
    /// ticker): deletes a character at its start and inserts one at its end, so the terminal
    /// moves the stretch itself, and writes the one new cell. Returns the columns the shadow
    /// now holds as the frame wants them, if it did.
    fn shift(
        &mut self,
        y: u16,
        row: &[(u16, u16, &Cell)],
    ) -> Option<std::ops::RangeInclusive<u16>> {
        if row.len() < MIN_SHIFTED || self.shadow.is_empty() || y >= self.size.height {
            return None;
        }
        let width = usize::from(self.size.width);
        let start = self.index(0, y);
        let old = &self.shadow[start..start + width];
        // Cheap first: enough of the changed cells must be the old cell one to the right.
        let moved = row
            .iter()
            .filter(|&&(x, _, c)| old.get(usize::from(x) + 1).is_some_and(|o| o == c))
            .count();
        if moved < MIN_SHIFTED {
            return None;
        }
        let mut new: Vec<&Cell> = old.iter().collect();
        for &(x, _, c) in row {
            new[usize::from(x)] = c;
        }
        // Only narrow text: a wide character would move differently in different terminals.
        let narrow = |c: &Cell| symbol_width(c) == 1;
        if !old.iter().all(narrow) || !new.iter().all(|c| narrow(c)) {
            return None;
        }
        // The longest run of columns whose new cell is the old cell one to the right, by how
        // many cells it saves writing.
        // (first column, last column, cells saved), and the run so far: (first, saved).
        let mut best: Option<(usize, usize, usize)> = None;
        let mut run: Option<(usize, usize)> = None;
        for x in 0..width - 1 {
            if *new[x] == old[x + 1] {
                let (from, saved) = run.unwrap_or((x, 0));
                let saved = saved + usize::from(*new[x] != old[x]);
                run = Some((from, saved));
                if best.is_none_or(|(_, _, s)| saved > s) {
                    best = Some((from, x, saved));
                }
            } else {
                run = None;
            }
        }
        let (a, e, saved) = best?;
        if saved < MIN_SHIFTED {
            return None;
        }
        let last = new[e + 1].clone();
        let (a, e) = (a as u16, e as u16);
        self.goto(a, y);
        self.buf.extend_from_slice(b"\x1b[P");
        self.goto(e + 1, y);
        self.buf.extend_from_slice(b"\x1b[@");
        self.shadow[start + usize::from(a)..=start + usize::from(e) + 1].rotate_left(1);
        // The inserted cell is blank in the current pen: write what belongs there.
        self.put(e + 1, y, &last);
        Some(a..=e + 1)
    }

    fn put(&mut self, x: u16, y: u16, cell: &Cell) {
        self.goto(x, y);
        self.set_pen(Pen::of(cell));
        let symbol = cell.symbol();
        self.buf.extend_from_slice(symbol.as_bytes());
        let width = symbol_width(cell);
        self.at = (width == 1 && x + 1 < self.size.width).then_some((x + 1, y));
        if !self.shadow.is_empty() && x < self.size.width && y < self.size.height {
            let i = self.index(x, y);
            self.shadow[i].clone_from(cell);
            // The cells a wide character covers are blank in ratatui's buffer, and hidden.
            let covered =
                usize::from(width.saturating_sub(1)).min(usize::from(self.size.width - 1 - x));
            for c in &mut self.shadow[i + 1..=i + covered] {
                c.reset();
            }
        }
    }

    /// Where (`x`, `y`) is in the shadow.
    fn index(&self, x: u16, y: u16) -> usize {
        usize::from(y) * usize::from(self.size.width) + usize::from(x)
    }

    fn shadow_cell(&self, x: u16, y: u16) -> Option<&Cell> {
        if x >= self.size.width || y >= self.size.height {
            return None;
        }
        self.shadow.get(self.index(x, y))
    }

    /// Whether the cells from `from` up to `to` on row `y` can be written again as the
    /// terminal shows them, one byte each, in the current pen.
    fn rewritable(&self, y: u16, from: u16, to: u16) -> bool {
        let Some(pen) = self.pen else {
            return false;
        };
        (from..to).all(|x| {
            self.shadow_cell(x, y)
                .is_some_and(|c| plain_byte(c).is_some() && Pen::of(c) == pen)
        })
    }

    /// How many columns the terminal shows the cell at (`x`, `y`) taking, as far as known.
    fn width_at(&self, x: u16, y: u16) -> u16 {
        self.shadow_cell(x, y).map_or(1, symbol_width)
    }

    /// The shadow of a blank screen of the current size.
    fn blank(&mut self) {
        let n = usize::from(self.size.width) * usize::from(self.size.height);
        self.shadow.clear();
        self.shadow.resize(n, Cell::EMPTY);
        self.hashed = false;
    }

    fn size_now(&self) -> io::Result<Size> {
        if self.fixed {
            return Ok(self.size);
        }
        let (width, height) = crossterm::terminal::size()?;
        Ok(Size { width, height })
    }

    /// A fixed screen's new size (as a terminal's resize would be).
    pub fn resize(&mut self, width: u16, height: u16) {
        self.size = Size { width, height };
        self.shadow.clear();
        self.at = None;
    }
}

/// Modifiers a terminal shows on a blank cell.
const VISIBLE_ON_BLANK: Modifier = Modifier::REVERSED
    .union(Modifier::UNDERLINED)
    .union(Modifier::SLOW_BLINK)
    .union(Modifier::RAPID_BLINK)
    .union(Modifier::CROSSED_OUT);

/// The cells of row `y` to draw, where `prev` is what the terminal shows and `next` the
/// frame: the rules of ratatui's buffer diff (cells to skip, forced widths, the columns a
/// wide character covers, trailing columns that must be cleared), within one row.
fn row_changes<'a>(prev: &[Cell], next: &'a [Cell], y: u16, out: &mut Vec<(u16, u16, &'a Cell)>) {
    let len = next.len().min(prev.len());
    // The column as a u16: a row is at most u16::MAX wide.
    let col = |i: usize| u16::try_from(i).unwrap_or(u16::MAX);
    let mut i = 0;
    while i < len {
        let (cur, old) = (&next[i], &prev[i]);
        let x = i;
        i += 1;
        if skipped(cur) {
            continue;
        }
        if let CellDiffOption::ForcedWidth(w) = cur.diff_option {
            i += usize::from(w.get() - 1);
            if cur != old {
                out.push((col(x), y, cur));
            }
            continue;
        }
        let width = usize::from(diff_width(cur));
        if cur.diff_option == CellDiffOption::None && cur == old {
            // An unchanged wide character: the columns it covers are its own.
            i += width.saturating_sub(1);
            continue;
        }
        out.push((col(x), y, cur));
        let (end, force) = if width > 1 && cur.symbol().contains('\u{FE0F}') {
            // Some terminals leave the trailing cell of an emoji presentation sequence:
            // the columns it covers are said again where they changed.
            (x + width, false)
        } else if width > 1 {
            i += width - 1;
            continue;
        } else if usize::from(diff_width(old)) > width
            && (old.bg != Color::Reset || old.modifier.intersects(VISIBLE_ON_BLANK))
        {
            // The wide character this replaces showed its style on the columns it covered.
            (x + usize::from(diff_width(old)), true)
        } else {
            continue;
        };
        let mut end = end.min(len);
        while i < end {
            let j = i;
            i += usize::from(diff_width(&next[j]).max(1));
            end = end.max(i).min(len);
            if !skipped(&next[j]) && (force || prev[j].symbol() != next[j].symbol()) {
                out.push((col(j), y, &next[j]));
            }
        }
        i = i.max(end);
    }
}

/// A hash of a row's cells.
fn row_hash(row: &[Cell]) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = rustc_hash::FxHasher::default();
    for c in row {
        match c.symbol().as_bytes() {
            [b] => h.write_u8(*b),
            s => {
                h.write(s);
                h.write_u8(0xff);
            }
        }
        c.fg.hash(&mut h);
        c.bg.hash(&mut h);
        h.write_u16(c.modifier.bits());
    }
    h.finish()
}

/// Whether a row of the frame (`next`) is what a row of the terminal shows (`prev`) and has
/// no cell that ratatui's diff writes at every frame, changed or not (text that something
/// else may have drawn over): such a row is written, and never moved into place.
fn same_row(next: &[Cell], prev: &[Cell]) -> bool {
    next.len() == prev.len()
        && next
            .iter()
            .zip(prev)
            .all(|(n, p)| same_cell(n, p) && n.diff_option != CellDiffOption::AlwaysUpdate)
}

/// `a == b` as ratatui compares cells, the colours first and a one-byte symbol without a call
/// to compare memory: most of a frame's cells are a letter or a space.
#[allow(deprecated)]
fn same_cell(a: &Cell, b: &Cell) -> bool {
    if a.fg != b.fg
        || a.bg != b.bg
        || a.modifier != b.modifier
        || a.underline_color != b.underline_color
        || a.diff_option != b.diff_option
        || a.skip != b.skip
    {
        return false;
    }
    match (a.symbol().as_bytes(), b.symbol().as_bytes()) {
        ([x], [y]) => x == y,
        (x, y) => x == y,
    }
}

/// A cell the diff leaves alone.
#[allow(deprecated)]
fn skipped(cell: &Cell) -> bool {
    matches!(cell.diff_option, CellDiffOption::Skip)
        || (cell.skip && matches!(cell.diff_option, CellDiffOption::None))
}

/// The columns ratatui's diff takes a cell to cover.
fn diff_width(cell: &Cell) -> u16 {
    if plain_byte(cell).is_some() {
        1
    } else {
        cell.cell_width()
    }
}

/// The columns a cell's text takes; 0 for a cell of a forced width, which is something
/// other than text: where the cursor ends up after it is the terminal's business.
fn symbol_width(cell: &Cell) -> u16 {
    if cell.diff_option != CellDiffOption::None {
        return 0;
    }
    if plain_byte(cell).is_some() {
        return 1;
    }
    cell.symbol().width() as u16
}

/// The one byte of a cell that is a printable ASCII character or a space.
fn plain_byte(cell: &Cell) -> Option<u8> {
    match cell.symbol().as_bytes() {
        [b] if cell.diff_option == CellDiffOption::None && (b.is_ascii_graphic() || *b == b' ') => {
            Some(*b)
        }
        _ => None,
    }
}

/// `CSI n X`, with `n` left out when it is 1.
fn csi_n(out: &mut Vec<u8>, n: u16, x: u8) {
    out.extend_from_slice(b"\x1b[");
    if n != 1 {
        push_num(out, n);
    }
    out.push(x);
}

/// The absolute move, 0-based in, 1-based out, defaults left out.
fn cup(out: &mut Vec<u8>, x: u16, y: u16) {
    out.extend_from_slice(b"\x1b[");
    if (x, y) != (0, 0) {
        if y != 0 {
            push_num(out, y + 1);
        }
        if x != 0 {
            out.push(b';');
            push_num(out, x + 1);
        }
    }
    out.push(b'H');
}

fn push_num(out: &mut Vec<u8>, n: impl Into<u32>) {
    let n: u32 = n.into();
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    let mut v = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Appends `;P` for each SGR parameter that takes the pen from `from` to `to`.
fn params_from(out: &mut Vec<u8>, from: Pen, to: Pen) {
    let removed = from.modifier - to.modifier;
    let mut added = to.modifier - from.modifier;
    let param = |out: &mut Vec<u8>, p: &[u8]| {
        out.push(b';');
        out.extend_from_slice(p);
    };
    // What turns each attribute off; bold and dim share one, as do the two blinks, so the
    // one of a pair that stays is turned on again.
    for (mask, p) in [
        (Modifier::BOLD | Modifier::DIM, b"22"),
        (Modifier::ITALIC, b"23"),
        (Modifier::UNDERLINED, b"24"),
        (Modifier::SLOW_BLINK | Modifier::RAPID_BLINK, b"25"),
        (Modifier::REVERSED, b"27"),
        (Modifier::HIDDEN, b"28"),
        (Modifier::CROSSED_OUT, b"29"),
    ] {
        if removed.intersects(mask) {
            param(out, p);
            added |= to.modifier & mask;
        }
    }
    for (m, p) in [
        (Modifier::BOLD, b"1"),
        (Modifier::DIM, b"2"),
        (Modifier::ITALIC, b"3"),
        (Modifier::UNDERLINED, b"4"),
        (Modifier::SLOW_BLINK, b"5"),
        (Modifier::RAPID_BLINK, b"6"),
        (Modifier::REVERSED, b"7"),
        (Modifier::HIDDEN, b"8"),
        (Modifier::CROSSED_OUT, b"9"),
    ] {
        if added.contains(m) {
            param(out, p);
        }
    }
    if to.fg != from.fg {
        out.push(b';');
        color(out, to.fg, Layer::Fg);
    }
    if to.bg != from.bg {
        out.push(b';');
        color(out, to.bg, Layer::Bg);
    }
    if to.underline != from.underline {
        out.push(b';');
        color(out, to.underline, Layer::Underline);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Layer {
    Fg,
    Bg,
    Underline,
}

/// One colour's SGR parameter: the ANSI codes for the sixteen colours, `38;5;N` for the rest
/// of the palette, `38;2;R;G;B` for true colour.
fn color(out: &mut Vec<u8>, c: Color, layer: Layer) {
    let ansi = match c {
        Color::Black => Some(0),
        Color::Red => Some(1),
        Color::Green => Some(2),
        Color::Yellow => Some(3),
        Color::Blue => Some(4),
        Color::Magenta => Some(5),
        Color::Cyan => Some(6),
        Color::Gray => Some(7),
        Color::DarkGray => Some(8),
        Color::LightRed => Some(9),
        Color::LightGreen => Some(10),
        Color::LightYellow => Some(11),
        Color::LightBlue => Some(12),
        Color::LightMagenta => Some(13),
        Color::LightCyan => Some(14),
        Color::White => Some(15),
        Color::Indexed(n) if n < 16 => Some(n),
        _ => None,
    };
    match (layer, c, ansi) {
        (Layer::Fg, Color::Reset, _) => out.extend_from_slice(b"39"),
        (Layer::Bg, Color::Reset, _) => out.extend_from_slice(b"49"),
        (Layer::Underline, Color::Reset, _) => out.extend_from_slice(b"59"),
        (Layer::Fg, _, Some(n)) if n < 8 => push_num(out, 30 + n),
        (Layer::Fg, _, Some(n)) => push_num(out, 90 + n - 8),
        (Layer::Bg, _, Some(n)) if n < 8 => push_num(out, 40 + n),
        (Layer::Bg, _, Some(n)) => push_num(out, 100 + n - 8),
        (_, _, ansi) => {
            out.extend_from_slice(match layer {
                Layer::Fg => b"38",
                Layer::Bg => b"48",
                Layer::Underline => b"58",
            });
            match (c, ansi) {
                (Color::Rgb(r, g, b), _) => {
                    out.extend_from_slice(b";2;");
                    push_num(out, r);
                    out.push(b';');
                    push_num(out, g);
                    out.push(b';');
                    push_num(out, b);
                }
                (Color::Indexed(n), _) | (_, Some(n)) => {
                    out.extend_from_slice(b";5;");
                    push_num(out, n);
                }
                _ => out.extend_from_slice(b";5;7"),
            }
        }
    }
}

impl<W: Write> Backend for Screen<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        if self.shadow.is_empty() {
            // Not known: everything drawn now is what the terminal shows from here on, and
            // whatever is not drawn has to be trusted to what ratatui last drew.
            self.blank();
        }
        // The rows' hashes are worked out again when next needed.
        self.hashed = false;
        let cells: Vec<(u16, u16, &Cell)> = content.collect();
        for row in cells.chunk_by(|a, b| a.1 == b.1) {
            self.draw_row(row);
        }
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if self.visible != Some(false) {
            self.buf.extend_from_slice(b"\x1b[?25l");
            self.visible = Some(false);
        }
        Ok(())
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        if self.visible != Some(true) {
            self.buf.extend_from_slice(b"\x1b[?25h");
            self.visible = Some(true);
        }
        Ok(())
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        // Asking the terminal would race the key reader for its answer; where the cursor
        // is not known, the top left is as good as any (it is hidden, and moved before use).
        let (x, y) = self.at.unwrap_or((0, 0));
        Ok(Position { x, y })
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let p = position.into();
        self.goto(p.x, p.y);
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        self.clear_region(ClearType::All)
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        // A terminal clears with the current background: clear with the plain pen.
        self.set_pen(PLAIN);
        self.buf.extend_from_slice(match clear_type {
            ClearType::All => b"\x1b[2J",
            ClearType::AfterCursor => b"\x1b[J",
            ClearType::BeforeCursor => b"\x1b[1J",
            ClearType::CurrentLine => b"\x1b[2K",
            ClearType::UntilNewLine => b"\x1b[K",
        });
        if clear_type == ClearType::All {
            if !self.fixed {
                self.size = self.size_now()?;
            }
            // A screen is cleared when it was resized, and a resize can move the cursor (a
            // terminal growing taller pulls lines back from its scrollback).
            self.at = None;
            self.blank();
        } else {
            self.shadow.clear();
        }
        Ok(())
    }

    fn size(&self) -> io::Result<Size> {
        self.size_now()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        if self.fixed {
            return Ok(WindowSize {
                columns_rows: self.size,
                pixels: Size::default(),
            });
        }
        let w = crossterm::terminal::window_size()?;
        Ok(WindowSize {
            columns_rows: Size {
                width: w.columns,
                height: w.rows,
            },
            pixels: Size {
                width: w.width,
                height: w.height,
            },
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        // Inside a frame, the frame's end writes; outside one, now.
        if self.frame_at.is_some() {
            return Ok(());
        }
        self.commit()
    }
}

#[cfg(test)]
mod tests;
