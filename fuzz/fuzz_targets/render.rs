//! The screen of an arbitrary console, at any size from 1×1 to 300×100: it must never panic.
//!
//! The input, byte by byte:
//! - 0, 1: the width (little-endian, modulo 300, plus one); 2: the height (modulo 100, plus 1);
//! - 3: the fixture whose header is read (bits 0–3, see `warroom_fuzz::header`) and the look
//!   (bits 4–7, see `warroom_fuzz::look`);
//! - 4: how many key bytes follow (bits 0–5); bit 7 makes a live console still connecting;
//! - then the keys (see `warroom_fuzz::key`), then record lines, read after the header and
//!   applied as a replay applies them.
//!
//! The keys are pressed after the records, and the screen is drawn once, at the end (a
//! screen between two keys is the end of a shorter input).
#![no_main]

use libfuzzer_sys::fuzz_target;
use warroom::core::app::App;
use warroom::core::input::Input;
use warroom::core::playback::Mode;
use warroom::view::layout;

fuzz_target!(|data: &[u8]| {
    let [w0, w1, h, look_sel, keys_sel, rest @ ..] = data else {
        return;
    };
    let cols = u16::from_le_bytes([*w0, *w1]) % 300 + 1;
    let rows = u16::from(*h) % 100 + 1;
    let nkeys = usize::from(keys_sel & 0x3f).min(rest.len());
    let (keys, lines) = rest.split_at(nkeys);
    let header = warroom_fuzz::header(*look_sel);
    let look = warroom_fuzz::look(*look_sel >> 4);
    let mut app = warroom_fuzz::replay_app(header.fixture.plan.clone());
    let mut reader = warroom_fuzz::records(&header, lines);
    warroom_fuzz::read_all(&mut reader, lines.len() + 1, |t, records| {
        warroom_fuzz::apply_line(&mut app, t, records);
    });
    if keys_sel & 0x80 != 0 {
        app = App::new(app.state, Mode::Live);
    }
    let area = ratatui::layout::Rect::new(0, 0, cols, rows);
    for &k in keys {
        // The page the timeline scrolls by, as the terminal's loop measures it before a key.
        app.apply(Input::Layout {
            timeline_rows: layout::timeline_rows(area, &app),
        });
        app.apply(Input::Key(warroom_fuzz::key(k)));
    }
    app.apply(Input::Layout {
        timeline_rows: layout::timeline_rows(area, &app),
    });
    warroom_fuzz::draw(&app, look, cols, rows);
});
