//! Writes the seeds of the `state_image` target (and a real image part for
//! `protocol_server`): the image of each shipped fixture's state at its start and after its
//! first records, as the bytes the target takes (before compression).
//!
//! Run it from `fuzz/`:
//!
//! ```text
//! cargo run --release --example image_seeds
//! ```

use std::io::Cursor;
use std::path::Path;

use warroom::format::fixture;

/// Record lines played into the second image of each fixture (enough for every panel to
/// show something, few enough to keep the seed small).
const LINES: usize = 40;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let images = corpus.join("state_image");
    std::fs::create_dir_all(&images)?;
    for (i, (name, text)) in warroom_fuzz::FIXTURES.iter().enumerate() {
        let mut reader = fixture::open(name, Cursor::new(text.as_bytes()))?;
        let mut app = warroom_fuzz::replay_app(reader.fixture().plan.clone());
        let start = app.state.image().encode();
        for _ in 0..LINES {
            let mut batch = Vec::new();
            let Some(t) = reader.next_records(&mut |r| batch.push(r))? else {
                break;
            };
            warroom_fuzz::apply_line(&mut app, t, batch);
        }
        let early = app.state.image().encode();
        let stem = name.trim_end_matches(".jsonl");
        for (when, text) in [("start", &start), ("early", &early)] {
            let file = images.join(format!("seed-{stem}-{when}"));
            let bytes = warroom_fuzz::image_bytes(text);
            std::fs::write(&file, &bytes)?;
            println!("{}: {} bytes", file.display(), bytes.len());
        }
        if i == 0 {
            let part = serde_json::json!({"type": "image", "part": early}).to_string();
            let file = corpus.join("protocol_server").join("seed-image-real");
            std::fs::write(&file, &part)?;
            println!("{}: {} bytes", file.display(), part.len());
        }
    }
    Ok(())
}
