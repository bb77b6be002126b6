//! reel's integration tests: one binary, a module per feature. Every test starts a real
//! server (see `support`) and talks to it over HTTP the way SDKs, tools and people do.

mod support;

mod accounts;
mod analytics;
mod auth;
mod boards;
mod boundaries;
mod compaction;
mod connections;
mod corpus;
mod cors;
mod country;
mod dedup;
mod durability;
mod hostile;
mod http_api;
mod ingest_track;
mod leases;
mod limits;
mod monitoring;
mod people;
mod planted;
mod process;
mod projects;
mod query_api;
mod quota;
mod remote_config;
mod replay_extras;
mod replay_settings;
mod retention;
mod roles;
mod search;
mod search_library;
mod search_paging;
mod signals;
mod storage;
mod streaming;
mod throttling;
mod users;
mod windows;
