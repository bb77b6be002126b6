//! The embedded analytics store's own rules: a chart stops past its budget of events, and
//! events deleted with a replay leave the charts.

use reel_query::chart::wire::{ChartAnswer, ChartSpec};
use reel_query::chart::{ChartContext, parse_chart};
use serde_json::json;

use super::scan;
use crate::charts;
use crate::sqlite::SqliteStore;
use crate::{AnalyticsEvent, AnalyticsStore, IngestStore, StoreError};

const T0: i64 = 1_767_571_200_000;

fn event(n: i64, kind: &str) -> AnalyticsEvent {
    AnalyticsEvent {
        insert_id: Some(format!("e{n}")),
        event_type: kind.into(),
        time_ms: T0 + n * 1_000,
        device_id: Some(format!("d{}", n % 3)),
        user_id: None,
        session_id: Some(T0),
        event_properties: json!({"n": n}).to_string(),
        user_properties: "{}".into(),
        raw: "{}".into(),
        display_name: None,
        derived: false,
    }
}

fn chart(spec: serde_json::Value) -> reel_query::chart::Chart {
    let spec: ChartSpec = serde_json::from_value(spec).unwrap();
    parse_chart(
        &spec,
        &ChartContext {
            timezone: chrono_tz::Tz::UTC,
            now_ms: T0 + 86_400_000,
        },
    )
    .unwrap()
}

async fn store_with_events(n: i64) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    store
        .write(|c| {
            c.execute_batch(
                "INSERT INTO organizations (id, name, created_ms) VALUES (1, 'o', 0);
                 INSERT INTO projects (id, organization_id, name, api_key, created_ms) VALUES (1, 1, 'p', 'k', 0);",
            )?;
            Ok(())
        })
        .await
        .unwrap();
    store
        .add_events(1, (0..n).map(|i| event(i, "View")).collect(), T0)
        .await
        .unwrap();
    (dir, store)
}

#[tokio::test]
async fn a_chart_stops_past_its_budget_of_events() {
    let (_dir, store) = store_with_events(10).await;
    let spec = json!({"kind": "segmentation", "events": [{"event_type": "View"}], "start": "2026-01-05", "end": "2026-01-05"});
    // (budget, stops)
    for (budget, stops) in [(10, false), (9, true)] {
        let c = chart(spec.clone());
        let result = store
            .charts
            .run(move |conn, _| {
                let mut s = scan::Scanner::with_budget(conn, 1, budget);
                charts::run(&mut s, &c, charts::Want::Answer).map(|_| ())
            })
            .await;
        match (result, stops) {
            (Ok(()), false) => {}
            (Err(StoreError::TimedOut(m)), true) => assert!(m.contains("narrow the dates"), "{m}"),
            (other, _) => panic!("budget {budget}: {other:?}"),
        }
    }
    // Through the trait, the default budget: three users, ten events.
    let answer = store.chart(1, chart(spec)).await.unwrap();
    let ChartAnswer::Segmentation(a) = answer else {
        panic!("a segmentation")
    };
    assert_eq!(a.series[0].total, 3.0);
}

/// The ClickHouse store keeps user properties as `OwnedValue`s; the embedded one as SQLite
/// values. Both must read a value back alike, or identify operations would diverge.
#[test]
fn user_property_values_read_back_as_the_embedded_store_reads_them() {
    use crate::charts::OwnedValue;
    use rusqlite::types::{Value as Sql, ValueRef};
    let cases = [
        json!(null),
        json!(true),
        json!(false),
        json!(0),
        json!(-7),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(2.5),
        json!(0.1),
        json!("plain"),
        json!("[not json"),
        json!("{\"a\":1}"),
        json!([1, "x", {"b": null}]),
        json!({"k": [true]}),
    ];
    for value in cases {
        let embedded = crate::sqlite::events::sql_value(&value).map(|v| {
            let as_ref = match &v {
                Sql::Integer(i) => ValueRef::Integer(*i),
                Sql::Real(f) => ValueRef::Real(*f),
                Sql::Text(t) => ValueRef::Text(t.as_bytes()),
                Sql::Null => ValueRef::Null,
                Sql::Blob(b) => ValueRef::Blob(b),
            };
            super::record::value_json(as_ref)
        });
        let owned = OwnedValue::from_json(&value).map(|v| v.to_json());
        assert_eq!(owned, embedded, "{value}");
    }
}
