//! rrweb's own test recordings go through the real upload path and come back intact.
//! The recordings live in the repository, `testdata/rrweb-corpus/` (see its README).

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn rrweb_test_recordings_round_trip() {
    let corpus = reel_testdata::corpus();
    assert!(!corpus.is_empty(), "no recordings in testdata/rrweb-corpus");

    let app = TestApp::spawn().await;
    for (i, recording) in corpus.iter().enumerate() {
        let name = &recording.name;
        // The files' clocks differ: move each to an hour ago, as a live session would be. The
        // session id is the epoch ms at which the session started.
        let session = now_ms() - 3_600_000;
        let mut recorded = starting_at(recording, session);
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
