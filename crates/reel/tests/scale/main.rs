//! reel against real servers that the tests start themselves: `make test-scale` runs this
//! binary (`cargo test -p reel --test scale`); a plain `cargo test` leaves it out, so
//! `make test` needs no server.
//!
//! - `s3`: recordings' objects in an S3-compatible store (`blob_url = s3://…`): s3s-fs, and
//!   Garage (a distributed store) for the recordings' whole life.
//! - `control`: the control data on PostgreSQL (`database_url = postgres://…`), the shared
//!   backend suite's checks (`reel_store::conformance`) against a real server, two nodes
//!   sharing it.
//! - `nodes`: two nodes on one PostgreSQL and one bucket sharing recordings: playback on
//!   either, uploads of one session through both, a node dying with a claimed session, search
//!   over both with `events_url`.
//! - `migrate`: `reel migrate` of a data dir into PostgreSQL and the S3-compatible store.
//! - `charts`: events for charts in ClickHouse (`events_url = clickhouse://…`), here Debian's
//!   clickhouse-server 18.16, answering as the embedded store does.
//! - `events_feed`: charts through the server on ClickHouse (`events_url`), handed on by a node's
//!   feed, answering as a node without it.
//! - `search`: replay search in ClickHouse (the same server), answering as the embedded store
//!   does.
//! - `search_feed`: replay search through the server on ClickHouse (`events_url`), handed on by
//!   a node's feed (events, text, replays as they change and are deleted), answering as a node
//!   without it.
//! - `lookup`: User Look-Up on ClickHouse, and deletion (sessions, users, devices, retention)
//!   on its chart and search stores, answering as the embedded store does after each.
//!
//! The servers are real programs on 127.0.0.1 with a free port and a temporary folder, polled
//! until they answer and stopped when the test ends. A missing server binary fails the test
//! with the command that builds it.

#[path = "../it/support/mod.rs"]
mod support;

mod charts;
mod clickhouse_server;
mod control;
mod events_feed;
mod garage_server;
mod lookup;
mod migrate;
mod nodes;
mod postgres_server;
mod s3;
mod s3_server;
mod search;
mod search_feed;
