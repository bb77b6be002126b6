//! What segments cost on the workload recordings, against gzip and zstd baselines measured in
//! the same run:
//!
//! ```sh
//! cargo run --release -p reel-rrweb --example segment_size [-- DIR]
//! WHAT_IF=1 cargo run --release -p reel-rrweb --example segment_size   # and cross-session
//! ZSTD_LEVEL=15 cargo run --release -p reel-rrweb --example segment_size  # another level
//! ```
//!
//! `DIR` defaults to `testdata/workload` (`*.json.gz`: gzip of a JSON array of rrweb events per
//! session; the site is the file name up to its first `-`). Each site is one project.
//!
//! - raw: the events' JSON bytes, as received.
//! - gzip-6: each session's JSON compressed on its own with gzip level 6, summed.
//! - zstd-19-long: all sessions of the site (total: of the whole workload) in one stream,
//!   `zstd -19 --long=27`: what a compressor gets when it sees everything at once.
//! - reel: sessions cut as the server does ([`plan_segments`], target 8 MiB raw), each segment
//!   encoded with the default [`SegmentOptions`]; plus each distinct piece of the project once,
//!   as [`compress_piece`] stores it; plus 64 bytes of row overhead per segment and per piece.
//!
//! Throughput is MB/s of raw JSON on this machine, single-threaded: reel's encode (transform,
//! pieces hashed and compressed when new) and decode (pieces already in memory, as a server's
//! cache has them), beside zstd -19 --long compressing and decompressing the whole workload.
//!
//! With `WHAT_IF=1` it also measures what sharing structure across sessions would save (not in
//! the format): see `cross_session_what_if`.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reel_rrweb::segment::{
    SegmentOptions, compress_piece, decode_segment, encode_segment, plan_segments, segment_stream,
};
use reel_rrweb::{Event, EventType};

const TARGET_RAW_BYTES: usize = 8 << 20;
const ROW_OVERHEAD: usize = 64;

struct Session {
    site: String,
    events: Vec<String>,
}

fn load(dir: &Path) -> Vec<Session> {
    reel_testdata::gzipped_recordings(dir)
        .into_iter()
        .map(|recording| {
            let name = &recording.name;
            let site = name.split(['-', '.']).next().unwrap_or(name).to_owned();
            Session {
                site,
                events: recording.events,
            }
        })
        .collect()
}

/// Newline-delimited JSON of a session: what the baselines compress.
fn plain(events: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        out.extend_from_slice(e.as_bytes());
        out.push(b'\n');
    }
    out
}

fn gzip6(data: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    enc.write_all(data).expect("in memory");
    enc.finish().expect("in memory").len()
}

fn zstd19_long(data: &[u8]) -> Vec<u8> {
    zstd19_long_with_prefix(data, &[])
}

/// `zstd -19 --long=27`, optionally against a raw-content prefix (as `--patch-from` does).
fn zstd19_long_with_prefix(data: &[u8], prefix: &[u8]) -> Vec<u8> {
    use zstd::zstd_safe::{CCtx, CParameter, compress_bound};
    let mut c = CCtx::create();
    for p in [
        CParameter::CompressionLevel(19),
        CParameter::EnableLongDistanceMatching(true),
        CParameter::WindowLog(27),
    ] {
        c.set_parameter(p).expect("parameter");
    }
    if !prefix.is_empty() {
        c.ref_prefix(prefix).expect("prefix");
    }
    let mut out = Vec::with_capacity(compress_bound(data.len()));
    c.compress2(&mut out, data).expect("in memory");
    out
}

/// What sharing structure across sessions would save, measured without changing the format:
/// each session after a site's first is compressed against the transformed streams of the
/// site's earlier sessions (their last 8 MiB, as a zstd prefix). Once for whole segments (what
/// a per-project reference would give), once for the full snapshots alone (the most that
/// pieces made of snapshot subtrees could give, since mutations rarely carry subtrees).
fn cross_session_what_if(sessions: &[Session], options: &SegmentOptions) {
    let stream_of = |texts: &[&str]| {
        segment_stream(&encode_segment(texts, options).bytes, usize::MAX).expect("own segment")
    };
    let keep_tail = |v: &mut Vec<u8>| {
        let excess = v.len().saturating_sub(8 << 20);
        v.drain(..excess);
    };
    let mut earlier: HashMap<&str, (Vec<u8>, Vec<u8>)> = HashMap::new();
    let [
        mut all_alone,
        mut all_shared,
        mut snap_alone,
        mut snap_shared,
    ] = [0usize; 4];
    for s in sessions {
        let parsed: Vec<Event> = s.events.iter().map(|t| Event::parse(t).unwrap()).collect();
        let mut streams = Vec::new();
        for range in plan_segments(&parsed, TARGET_RAW_BYTES) {
            let refs: Vec<&str> = s.events[range].iter().map(String::as_str).collect();
            streams.push(stream_of(&refs));
        }
        let snapshots: Vec<&str> = s
            .events
            .iter()
            .zip(&parsed)
            .filter(|(_, e)| matches!(e.kind, EventType::Meta | EventType::FullSnapshot))
            .map(|(t, _)| t.as_str())
            .collect();
        let snap_stream = stream_of(&snapshots);
        let (all_prev, snap_prev) = earlier.entry(s.site.as_str()).or_default();
        if !all_prev.is_empty() {
            for st in &streams {
                all_alone += zstd19_long(st).len();
                all_shared += zstd19_long_with_prefix(st, all_prev).len();
            }
            snap_alone += zstd19_long(&snap_stream).len();
            snap_shared += zstd19_long_with_prefix(&snap_stream, snap_prev).len();
        }
        for st in &streams {
            all_prev.extend_from_slice(st);
        }
        snap_prev.extend_from_slice(&snap_stream);
        keep_tail(all_prev);
        keep_tail(snap_prev);
    }
    let kb = |n: usize| n as f64 / 1000.0;
    println!(
        "cross-session what-if (not in the format; each site's sessions after its first): \
         segment bodies {:.1} kB alone -> {:.1} kB against the site's earlier sessions; \
         full snapshots only {:.1} kB -> {:.1} kB",
        kb(all_alone),
        kb(all_shared),
        kb(snap_alone),
        kb(snap_shared)
    );
}

#[derive(Default)]
struct Row {
    sessions: usize,
    raw: usize,
    gzip: usize,
    zstd: usize,
    segments: usize,
    segment_bytes: usize,
    pieces: usize,
    piece_bytes: usize,
    verbatim: usize,
}

impl Row {
    fn reel(&self) -> usize {
        self.segment_bytes + self.piece_bytes + ROW_OVERHEAD * (self.segments + self.pieces)
    }

    fn print(&self, name: &str) {
        let kb = |n: usize| format!("{:.1}", n as f64 / 1000.0);
        println!(
            "{name:<6} {:>3} {:>9} {:>9} {:>9} {:>9} {:>4} {:>9} {:>5} {:>9} {:>6.3} {:>6.2}",
            self.sessions,
            kb(self.raw),
            kb(self.gzip),
            kb(self.zstd),
            kb(self.segment_bytes),
            self.segments,
            kb(self.piece_bytes),
            self.pieces,
            kb(self.reel()),
            self.reel() as f64 / self.gzip as f64,
            self.reel() as f64 / self.zstd as f64,
        );
    }
}

fn mb_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / 1e6 / time.as_secs_f64()
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(reel_testdata::workload_dir, PathBuf::from);
    let sessions = load(&dir);
    assert!(!sessions.is_empty(), "no *.json.gz in {}", dir.display());
    let mut options = SegmentOptions::default();
    if let Some(level) = std::env::var("ZSTD_LEVEL")
        .ok()
        .and_then(|l| l.parse().ok())
    {
        options.zstd_level = level;
    }

    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut site_plain: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut all_plain = Vec::new();
    // Per project: piece hash → stored (compressed) bytes, and the decompressed bytes.
    let mut stored_pieces: HashMap<(String, [u8; 16]), usize> = HashMap::new();
    let mut piece_cache: HashMap<[u8; 16], Arc<[u8]>> = HashMap::new();
    let mut encoded_segments: Vec<(Vec<u8>, Vec<String>)> = Vec::new();
    let (mut encode_time, mut raw_total) = (Duration::ZERO, 0usize);

    for s in &sessions {
        let row = rows.entry(s.site.clone()).or_default();
        let p = plain(&s.events);
        row.sessions += 1;
        row.raw += s.events.iter().map(String::len).sum::<usize>();
        row.gzip += gzip6(&p);
        site_plain
            .entry(s.site.clone())
            .or_default()
            .extend_from_slice(&p);
        all_plain.extend_from_slice(&p);

        let parsed: Vec<Event> = s
            .events
            .iter()
            .map(|t| Event::parse(t).expect("an rrweb event"))
            .collect();
        for range in plan_segments(&parsed, TARGET_RAW_BYTES) {
            let texts = &s.events[range];
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let start = Instant::now();
            let encoded = encode_segment(&refs, &options);
            for piece in &encoded.pieces {
                let key = (s.site.clone(), piece.hash);
                if let std::collections::hash_map::Entry::Vacant(slot) = stored_pieces.entry(key) {
                    let stored = compress_piece(&piece.bytes);
                    slot.insert(stored.len());
                    row.pieces += 1;
                    row.piece_bytes += stored.len();
                }
                piece_cache
                    .entry(piece.hash)
                    .or_insert_with(|| Arc::from(piece.bytes.as_slice()));
            }
            encode_time += start.elapsed();
            raw_total += encoded.raw_bytes;
            row.segments += 1;
            row.segment_bytes += encoded.bytes.len();
            row.verbatim += encoded.verbatim_events;
            encoded_segments.push((encoded.bytes, texts.to_vec()));
        }
    }
    for (site, p) in &site_plain {
        rows.get_mut(site).expect("a row per site").zstd = zstd19_long(p).len();
    }

    let start = Instant::now();
    let mut decoded = 0usize;
    for (bytes, texts) in &encoded_segments {
        let events = decode_segment(bytes, &mut |h| piece_cache.get(h).cloned(), usize::MAX)
            .expect("decodes");
        decoded += events.len();
        assert!(&events == texts, "a segment decoded to other events");
    }
    let decode_time = start.elapsed();

    let start = Instant::now();
    let all_zstd = zstd19_long(&all_plain);
    let zstd_encode_time = start.elapsed();
    let start = Instant::now();
    let mut d = zstd::stream::read::Decoder::new(all_zstd.as_slice()).expect("decoder");
    d.window_log_max(27).expect("parameter");
    let mut back = Vec::with_capacity(all_plain.len());
    d.read_to_end(&mut back).expect("decodes");
    let zstd_decode_time = start.elapsed();
    assert_eq!(back, all_plain);

    println!(
        "workload: {} ({} sessions, {} events); segments cut at keyframes up to {} MiB raw; \
         options {:?}",
        dir.display(),
        sessions.len(),
        decoded,
        TARGET_RAW_BYTES >> 20,
        options
    );
    println!("sizes in kB (1000 bytes); reel = segments + pieces + {ROW_OVERHEAD} B per row");
    println!(
        "{:<6} {:>3} {:>9} {:>9} {:>9} {:>9} {:>4} {:>9} {:>5} {:>9} {:>6} {:>6}",
        "site",
        "ses",
        "raw",
        "gzip-6",
        "zstd19L",
        "segments",
        "#",
        "pieces",
        "#",
        "reel",
        "/gzip",
        "/zstd"
    );
    let mut total = Row::default();
    for (site, row) in &rows {
        row.print(site);
        total.sessions += row.sessions;
        total.raw += row.raw;
        total.gzip += row.gzip;
        total.segments += row.segments;
        total.segment_bytes += row.segment_bytes;
        total.pieces += row.pieces;
        total.piece_bytes += row.piece_bytes;
        total.verbatim += row.verbatim;
    }
    total.zstd = all_zstd.len();
    total.print("total");
    println!(
        "(total zstd19L: the whole workload in one stream; per-site rows: each site's sessions)"
    );
    println!("verbatim events: {}", total.verbatim);
    println!(
        "encode: reel {:.1} MB/s, zstd -19 --long {:.1} MB/s;  decode: reel {:.0} MB/s, \
         zstd -19 --long {:.0} MB/s  (MB/s of raw JSON, one thread)",
        mb_per_s(raw_total, encode_time),
        mb_per_s(all_plain.len(), zstd_encode_time),
        mb_per_s(raw_total, decode_time),
        mb_per_s(all_plain.len(), zstd_decode_time),
    );
    if std::env::var_os("WHAT_IF").is_some() {
        cross_session_what_if(&sessions, &options);
    }
}
