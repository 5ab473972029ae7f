//! A theme file, laid over no base, the dark theme, or the light one (by the input's length).
#![no_main]

use libfuzzer_sys::fuzz_target;
use warroom::view::theme::Theme;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let base = [None, Some("dark"), Some("light")][data.len() % 3];
    match Theme::parse("theme.toml", text, base) {
        Ok(theme) => {
            let _ = theme.roles();
            let _ = theme.without_color();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
