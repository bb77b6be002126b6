//! The shared backend suite: what every backend of an area's trait must do, written once and
//! run against each (the embedded SQLite store by `make test`, PostgreSQL and the other real
//! servers by `make test-scale`). Each check takes an empty store and panics on a difference,
//! naming what it expected.
//!
//! Compiled for this crate's tests and, with the `conformance` feature, for the scale suite.

mod accounts;
mod boards;
mod library;
mod operations;
mod people;
mod processing;
mod recordings;

pub use accounts::accounts;
pub use boards::boards;
pub use library::library;
pub use operations::{CaptureSession, operations};
pub use people::people;
pub use processing::work_leases;
pub use recordings::{Recordings, recordings};

use crate::{AccountStore, NewInstallation, Project, User};

/// A fixed clock for the checks: 2026-01-05 00:00 UTC.
pub const T0: i64 = 1_767_571_200_000;

/// A new organization with one project and its admin, created at [`T0`].
async fn install(
    store: &dyn AccountStore,
    organization: &str,
    api_key: &str,
    admin_email: &str,
) -> (Project, User) {
    store
        .create_organization(
            NewInstallation {
                organization_name: organization.into(),
                project_name: "Shop".into(),
                api_key: api_key.into(),
                admin_email: admin_email.into(),
                admin_password_hash: format!("hash of {admin_email}"),
            },
            T0,
        )
        .await
        .unwrap()
}
