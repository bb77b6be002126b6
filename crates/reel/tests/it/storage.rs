//! What a recording costs to store: a site's pages repeat across page loads and sessions, and
//! reel stores that repetition about once (per-project compression dictionaries), while every
//! replay still comes back exactly as recorded — also after a restart.

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

fn raw_bytes(events: &[String]) -> usize {
    events.iter().map(String::len).sum()
}

#[tokio::test]
async fn repeated_pages_are_stored_about_once_and_replay_exactly() {
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

    for (device, session, events) in &uploaded {
        let listed = app.listed(device, *session).await;
        let stored = listed["size_bytes"].as_u64().unwrap() as usize;
        let raw = raw_bytes(events);
        assert!(
            stored * 10 < raw,
            "{device}: {stored} bytes stored for {raw} bytes recorded; the repeated page should cost little"
        );
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
