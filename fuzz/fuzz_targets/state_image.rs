//! A state image (what a snapshot hello's image parts and a `snapshot` record carry). The
//! input is the image's bytes before compression: the target deflates and base64-encodes
//! them, so that the fuzzer works on the image's own encoding. An image that decodes must
//! encode and decode again, and one that fits a shipped fixture's plan becomes that console's
//! state and is drawn.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warroom::core::app::App;
use warroom::core::playback::Mode;
use warroom::core::source::{Link, SourceStatus};
use warroom::core::state::{Image, State, TIMELINE_CAP};

fuzz_target!(|data: &[u8]| {
    let text = warroom_fuzz::image_text(data);
    let Ok(image) = Image::decode(&text) else {
        return;
    };
    if let Err(e) = Image::decode(&image.encode()) {
        panic!("a decoded image, encoded again, is refused: {e}");
    }
    for h in warroom_fuzz::headers() {
        let plan = h.fixture.plan.clone();
        if image.fits(&plan).is_err() {
            continue;
        }
        let source = SourceStatus {
            name: "fixture".into(),
            link: Link::Replay,
        };
        let state = match State::from_image(plan, source, TIMELINE_CAP, image.clone()) {
            Ok(s) => s,
            Err(e) => panic!("an image that fits its plan is refused: {e}"),
        };
        let app = App::new(state, Mode::Replay(warroom_fuzz::PAUSED));
        let look = warroom_fuzz::look(0);
        for (cols, rows) in [(120, 40), (80, 24)] {
            warroom_fuzz::draw(&app, look, cols, rows);
        }
    }
});
