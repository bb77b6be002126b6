//! The shared backend suite: what every backend of an area's trait must do, written once and
//! run against each (the embedded SQLite store by `make test`, PostgreSQL and the other real
//! servers by `make test-scale`). Each check takes an empty store and panics on a difference,
//! naming what it expected.
//!
//! Compiled for this crate's tests and, with the `conformance` feature, for the scale suite.

mod accounts;

pub use accounts::accounts;

/// A fixed clock for the checks: 2026-01-05 00:00 UTC.
pub const T0: i64 = 1_767_571_200_000;
