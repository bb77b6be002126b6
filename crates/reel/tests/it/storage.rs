//! What a recording costs to store, and that every replay comes back exactly as recorded —
//! also after a restart.

use serde_json::json;

use crate::support::*;

/// A page load whose snapshot carries `css_bytes` of stylesheet text that zstd cannot shrink
/// by itself (pseudo-random), seeded so two sites differ.
fn site_page(ts: i64, site_seed: u64, css_bytes: usize) -> Vec<String> {
    let mut seed = site_seed;
    let css: String = (0..css_bytes)
        .map(|_| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(b'a' + (seed >> 59) as u8)
        })
        .collect();
    let snapshot = json!({
        "type": 2,
        "timestamp": ts,
        "data": {
            "initialOffset": {"top": 0, "left": 0},
            "node": {"type": 0, "id": 1, "childNodes": [
                {"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
                    {"type": 2, "id": 3, "tagName": "style", "attributes": {"_cssText": css}, "childNodes": []}
                ]}
            ]}
        }
    });
    vec![
        meta(ts, "https://site.test/"),
        snapshot.to_string(),
        mouse_move(ts + 500, 10),
    ]
}

#[tokio::test]
async fn pages_replay_exactly_after_a_restart() {
    let mut app = TestApp::spawn().await;
    let t = now_ms() - 3_600_000;
    // Three visits: two of one site, then one of a different site (a new kind of page).
    let visits = [
        ("visitor-a", t, 1_u64),
        ("visitor-b", t + 60_000, 1),
        ("visitor-c", t + 120_000, 2),
    ];
    let mut uploaded = Vec::new();
    for (device, session, site) in visits {
        let events = site_page(session, site, 60_000);
        app.track_ok(device, session, &events).await;
        uploaded.push((device, session, events));
    }

    app.restart().await;
    for (device, session, events) in &uploaded {
        assert_eq!(
            app.events(&replay_id(device, *session)).await,
            parsed(events),
            "{device} after restart"
        );
    }
}
