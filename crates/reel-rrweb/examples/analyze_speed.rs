//! Throughput of the signals pipeline (parse + mirror + analyzer + text) against parsing the
//! same event texts into `serde_json::Value`, for information:
//!
//! ```sh
//! cargo run --release -p reel-rrweb --example analyze_speed
//! ```
//!
//! Two workloads: rrweb's test corpus (`testdata/rrweb-corpus`, small pages) repeated, and a
//! generated session with a large page (a few thousand nodes and inlined CSS, as real full
//! snapshots have) followed by mouse moves, clicks and mutations.

use std::time::{Duration, Instant};

use reel_rrweb::Event;
use reel_rrweb::signals::{Analyzer, Settings, analyze_json_texts};

fn corpus_texts() -> Vec<String> {
    reel_testdata::corpus()
        .into_iter()
        .flat_map(|recording| recording.events)
        .collect()
}

/// A session on a large generated page: Meta + FullSnapshot, then activity.
fn large_session() -> Vec<String> {
    let t0 = 1_700_000_000_000i64;
    let mut seed = 42u64;
    let mut rnd = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let css: String = (0..4000)
        .map(|i| {
            format!(
                ".c{i} {{ color: #{:06x}; font-family: \\\"Inter\\\", sans-serif; margin: {}px }} ",
                rnd() & 0xFF_FFFF,
                i % 17
            )
        })
        .collect();
    let mut id = 10;
    let mut items = Vec::new();
    for i in 0..1500 {
        id += 4;
        items.push(format!(
            r#"{{"type":2,"tagName":"li","attributes":{{"class":"item c{i}","data-sku":"sku-{i}"}},"childNodes":[{{"type":2,"tagName":"a","attributes":{{"href":"/product/{i}?ref=list","class":"link"}},"childNodes":[{{"type":3,"textContent":"Product number {i} with a longer name","id":{}}}],"id":{}}},{{"type":2,"tagName":"button","attributes":{{"class":"btn add","data-testid":"add-{i}"}},"childNodes":[{{"type":3,"textContent":"Add to cart","id":{}}}],"id":{}}}],"id":{id}}}"#,
            id + 1,
            id + 2,
            id + 3,
            id + 4
        ));
        id += 4;
    }
    let snapshot = format!(
        r#"{{"type":2,"data":{{"node":{{"type":0,"childNodes":[{{"type":1,"name":"html","publicId":"","systemId":"","id":2}},{{"type":2,"tagName":"html","attributes":{{"lang":"en"}},"childNodes":[{{"type":2,"tagName":"head","attributes":{{}},"childNodes":[{{"type":2,"tagName":"style","attributes":{{"_cssText":"{css}"}},"childNodes":[],"id":5}}],"id":4}},{{"type":2,"tagName":"body","attributes":{{}},"childNodes":[{{"type":2,"tagName":"ul","attributes":{{"id":"list"}},"childNodes":[{}],"id":7}}],"id":6}}],"id":3}}],"id":1}},"initialOffset":{{"left":0,"top":0}}}},"timestamp":{t0}}}"#,
        items.join(",")
    );
    let mut events = vec![
        format!(
            r#"{{"type":4,"data":{{"href":"https://shop.test/list?page=1","width":1440,"height":900}},"timestamp":{t0}}}"#
        ),
        snapshot,
    ];
    let mut ts = t0;
    for i in 0..3000 {
        ts += 40 + (rnd() % 200) as i64;
        let e = match i % 10 {
            0 => {
                let target = 10 + 8 * (rnd() % 1500) + 4;
                format!(
                    r#"{{"type":3,"data":{{"source":2,"type":2,"id":{target},"x":{},"y":{}}},"timestamp":{ts}}}"#,
                    rnd() % 1400,
                    rnd() % 900
                )
            }
            1 => format!(
                r#"{{"type":3,"data":{{"source":0,"texts":[],"attributes":[{{"id":{},"attributes":{{"class":"item c1 selected","style":{{"color":"red"}}}}}}],"removes":[],"adds":[{{"parentId":7,"nextId":null,"node":{{"type":2,"tagName":"li","attributes":{{"class":"toast"}},"childNodes":[],"id":{}}}}},{{"parentId":{},"nextId":null,"node":{{"type":3,"textContent":"Added item {i} to your cart","id":{}}}}}]}},"timestamp":{ts}}}"#,
                10 + 8 * (rnd() % 1500),
                100_000 + 2 * i,
                100_000 + 2 * i,
                100_001 + 2 * i
            ),
            2 => format!(
                r#"{{"type":3,"data":{{"source":3,"id":1,"x":0,"y":{}}},"timestamp":{ts}}}"#,
                rnd() % 5000
            ),
            _ => {
                let positions: Vec<String> = (0..8)
                    .map(|k| {
                        format!(
                            r#"{{"x":{},"y":{},"id":{},"timeOffset":-{}}}"#,
                            rnd() % 1400,
                            rnd() % 900,
                            7,
                            k * 20
                        )
                    })
                    .collect();
                format!(
                    r#"{{"type":3,"data":{{"source":1,"positions":[{}]}},"timestamp":{ts}}}"#,
                    positions.join(",")
                )
            }
        };
        events.push(e);
    }
    events
}

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .expect("runs")
}

fn report(name: &str, texts: &[String], repeat: usize) {
    let bytes: usize = texts.iter().map(String::len).sum::<usize>() * repeat;
    let mb = bytes as f64 / 1e6;
    let value = best_of(5, || {
        for _ in 0..repeat {
            for t in texts {
                let v: serde_json::Value = serde_json::from_slice(t.as_bytes()).expect("json");
                std::hint::black_box(v);
            }
        }
    });
    let signals = best_of(5, || {
        for _ in 0..repeat {
            let out = analyze_json_texts(texts.iter().map(String::as_str), Settings::default());
            std::hint::black_box(out);
        }
    });
    let events: Vec<Event> = texts
        .iter()
        .map(|t| Event::parse(t).expect("event"))
        .collect();
    let pushed = best_of(5, || {
        for _ in 0..repeat {
            let mut a = Analyzer::new(Settings::default());
            for e in &events {
                a.push(e);
            }
            a.finish();
            std::hint::black_box(a.drain());
        }
    });
    let rate = |d: Duration| mb / d.as_secs_f64();
    println!(
        "{name}: {:.1} MB; serde_json::Value {:.0} MB/s; analyze_json_texts {:.0} MB/s ({:.2}x); Analyzer::push on parsed Events {:.0} MB/s ({:.2}x)",
        mb,
        rate(value),
        rate(signals),
        value.as_secs_f64() / signals.as_secs_f64(),
        rate(pushed),
        value.as_secs_f64() / pushed.as_secs_f64(),
    );
}

fn main() {
    let corpus = corpus_texts();
    report("rrweb corpus x200", &corpus, 200);
    let large = large_session();
    report("large page session x3", &large, 3);
}
