//! The event loop driven with an off-screen backend: it draws once, then only when something
//! changed, coalesces bursts into frames, and quits on `q`.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tokio::sync::mpsc;
use warroom::core::app::App;
use warroom::core::input::{Input, ReplayMsg};
use warroom::core::intent::Key;
use warroom::core::record::{Body, Record};
use warroom::core::time::Offset;
use warroom::shell::run;
use warroom::shell::sinks::Sinks;
use warroom::shell::{fixtures, snapshot};
use warroom::view::glyphs;
use warroom::view::look::Look;
use warroom::view::theme::Theme;

fn setup() -> (App, Look) {
    let src = fixtures::open(&format!(
        "{}/fixtures/trackshift-progressive-delivery.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let app = snapshot::still_at(
        src,
        Some(warroom::core::time::parse_offset("T+1h").unwrap()),
    )
    .unwrap();
    (
        app,
        Look {
            theme: Theme::load("dark").unwrap(),
            glyphs: glyphs::UNICODE,
        },
    )
}

fn plain_draw(
    term: &mut Terminal<TestBackend>,
    draw: &dyn Fn(&mut ratatui::Frame),
) -> std::io::Result<()> {
    term.draw(|f| draw(f))
        .map(|_| ())
        .map_err(std::io::Error::other)
}

#[tokio::test(start_paused = true)]
async fn draws_only_when_something_changed_and_coalesces_bursts() {
    let (mut console, mut look) = setup();
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let (tx, mut rx) = mpsc::channel(run::CHANNEL);
    let sender = tokio::spawn(async move {
        // Idle for a long while: nothing must be drawn.
        tokio::time::sleep(Duration::from_secs(30)).await;
        // A burst of 200 batches at once: drawn in a handful of frames, not 200.
        for i in 0..200 {
            let rec = Record {
                t: Offset::from_secs(3600 + i),
                source: None,
                body: Body::Note {
                    by: None,
                    text: format!("note {i}").into(),
                },
            };
            let info = warroom::core::playback::ReplayInfo {
                speed: warroom::core::playback::Speed::Times(60.0),
                playing: true,
                start: Offset(0),
                end: Offset(1),
            };
            tx.send(Input::Replay(ReplayMsg::Batch {
                records: vec![rec],
                clock: Offset::from_secs(3600 + i),
                info,
            }))
            .await
            .unwrap();
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        tx.send(Input::Key(Key::Char('q'))).await.unwrap();
    });
    let stats = run::run(
        &mut term,
        &mut console,
        &mut look,
        &mut rx,
        &mut Sinks::default(),
        plain_draw,
    )
    .await
    .unwrap();
    sender.await.unwrap();
    assert!(stats.inputs >= 201, "{stats:?}");
    // One frame at start, a few for the burst; nothing while idle.
    assert!(stats.frames >= 2 && stats.frames <= 6, "{stats:?}");
    assert!(console
        .state
        .timeline
        .last()
        .unwrap()
        .text()
        .contains("note 199"));
}

#[tokio::test(start_paused = true)]
async fn an_unbound_key_does_not_quit_and_q_does() {
    let (mut console, mut look) = setup();
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let (tx, mut rx) = mpsc::channel(run::CHANNEL);
    tx.send(Input::Key(Key::Char('x'))).await.unwrap();
    tx.send(Input::Key(Key::Char('?'))).await.unwrap();
    tx.send(Input::Key(Key::Char('q'))).await.unwrap();
    let stats = run::run(
        &mut term,
        &mut console,
        &mut look,
        &mut rx,
        &mut Sinks::default(),
        plain_draw,
    )
    .await
    .unwrap();
    assert_eq!(stats.inputs, 3);
    assert!(console.ui.help, "the '?' before 'q' was applied");
}
