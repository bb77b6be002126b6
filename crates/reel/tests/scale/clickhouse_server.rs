//! The ClickHouse server of the suite: reel-bench's (the scale benchmark starts the same one).

pub use reel_bench::clickhouse_server::ClickHouseServer;
