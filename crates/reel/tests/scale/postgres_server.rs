//! The PostgreSQL server of the suite: reel-bench's (the `nodes` benchmark starts the same one).

pub use reel_bench::postgres_server::*;
