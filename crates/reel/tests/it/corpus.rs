//! rrweb's own test recordings go through the real upload path and come back intact.
//! The recordings live in the repository, `testdata/rrweb-corpus/` (see its README).

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::*;

fn corpus_dir() -> PathBuf {
    std::path::PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../testdata/rrweb-corpus")
}

#[tokio::test]
async fn rrweb_test_recordings_round_trip() {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus must exist at {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no recordings in {}", dir.display());

    let app = TestApp::spawn().await;
    for (i, file) in files.iter().enumerate() {
        let name = file
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(file).expect("readable");
        let mut recorded: Vec<Value> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The files' clocks differ (0, 1970, 2021, today): move each to an hour ago, as a
        // live session would be. The session id is the epoch ms at which the session started.
        let first = recorded
            .iter()
            .filter_map(|e| e["timestamp"].as_i64())
            .min()
            .expect("events have timestamps");
        let session = now_ms() - 3_600_000;
        for event in &mut recorded {
            let ts = event["timestamp"].as_i64().expect("numeric timestamp");
            event["timestamp"] = (ts - first + session).into();
        }
        // Each event as the SDK sends it: its own JSON string.
        let events: Vec<String> = recorded.iter().map(Value::to_string).collect();
        // One event of video-playback.json is 198 days after the rest: not plausible for one
        // session, so reel skips it and counts it.
        recorded.retain(|e| e["timestamp"].as_i64().unwrap() - session < 7 * DAY_MS);
        let implausible = events.len() - recorded.len();
        assert_eq!(
            implausible,
            usize::from(name == "video-playback.json"),
            "{name}"
        );
        let device = format!("corpus-{i}");
        let (status, reply) = json_of(app.track(&device, session, &events, i % 2 == 0).await).await;
        assert_eq!(status, StatusCode::OK, "{name}: {reply}");
        assert_eq!(reply["events_accepted"], recorded.len(), "{name}: {reply}");
        assert_eq!(reply["events_skipped"], implausible, "{name}: {reply}");

        let id = replay_id(&device, session);
        let (status, replay) = app.replay(&id).await;
        assert_eq!(status, StatusCode::OK, "{name}: {replay}");
        assert_eq!(replay["event_count"], recorded.len(), "{name}: {replay}");
        let back = app.events(&id).await;
        assert_eq!(back.len(), recorded.len(), "{name}");
        let ts = timestamps(&back);
        assert!(
            ts.windows(2).all(|w| w[0] <= w[1]),
            "{name}: not in time order: {ts:?}"
        );
        assert_eq!(back, in_time_order(recorded), "{name}");
    }
}
