//! Writes a small MaxMind DB (`.mmdb`) for tests, following the published format
//! (<https://maxmind.github.io/MaxMind-DB/>): a binary search tree over the address bits with
//! 24-bit records, 16 zero bytes, a data section of records like `{"country": {"iso_code":
//! "DE"}}`, then the metadata marker and a metadata map. IPv4 only (`ip_version` 4): enough for
//! a handful of networks, and small enough to read.

use std::net::Ipv4Addr;

/// A record pointer in the tree: another node, nothing, or data at an offset.
#[derive(Clone, Copy)]
enum Record {
    Node(usize),
    Empty,
    Data(usize),
}

/// The database bytes for these networks, each `(address, prefix length, ISO country code)`.
/// Networks must not overlap.
pub fn country_database(networks: &[(Ipv4Addr, u8, &str)]) -> Vec<u8> {
    let mut data = Vec::new();
    let mut nodes: Vec<[Record; 2]> = vec![[Record::Empty; 2]];
    for (address, prefix, iso_code) in networks {
        let offset = data.len();
        map(&mut data, 1);
        string(&mut data, "country");
        map(&mut data, 1);
        string(&mut data, "iso_code");
        string(&mut data, iso_code);
        let bits = u32::from(*address);
        let mut node = 0;
        for depth in 0..*prefix {
            let bit = ((bits >> (31 - depth)) & 1) as usize;
            if depth + 1 == *prefix {
                nodes[node][bit] = Record::Data(offset);
            } else {
                node = match nodes[node][bit] {
                    Record::Node(next) => next,
                    _ => {
                        nodes.push([Record::Empty; 2]);
                        let next = nodes.len() - 1;
                        nodes[node][bit] = Record::Node(next);
                        next
                    }
                };
            }
        }
    }
    let node_count = nodes.len();
    let value = |r: Record| match r {
        Record::Node(i) => i,
        Record::Empty => node_count,
        Record::Data(offset) => node_count + 16 + offset,
    };
    let mut out = Vec::new();
    for [left, right] in nodes {
        for r in [left, right] {
            out.extend_from_slice(&(value(r) as u32).to_be_bytes()[1..]);
        }
    }
    out.extend_from_slice(&[0; 16]);
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    map(&mut out, 9);
    string(&mut out, "binary_format_major_version");
    unsigned(&mut out, 5, 2);
    string(&mut out, "binary_format_minor_version");
    unsigned(&mut out, 5, 0);
    string(&mut out, "build_epoch");
    uint64(&mut out, 1_767_225_600);
    string(&mut out, "database_type");
    string(&mut out, "reel-test-Country");
    string(&mut out, "description");
    map(&mut out, 1);
    string(&mut out, "en");
    string(&mut out, "countries for reel's tests");
    string(&mut out, "ip_version");
    unsigned(&mut out, 5, 4);
    string(&mut out, "languages");
    array(&mut out, 1);
    string(&mut out, "en");
    string(&mut out, "node_count");
    unsigned(&mut out, 6, node_count as u64);
    string(&mut out, "record_size");
    unsigned(&mut out, 5, 24);
    out
}

/// A control byte for a type of the first 7 (sizes below 29 only: all this writer needs).
fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    assert!(size < 29, "a size this writer does not encode");
    out.push((kind << 5) | size as u8);
}

/// A control byte for an extended type (8 and above).
fn extended(out: &mut Vec<u8>, kind: u8, size: usize) {
    assert!(size < 29, "a size this writer does not encode");
    out.push(size as u8);
    out.push(kind - 7);
}

fn map(out: &mut Vec<u8>, pairs: usize) {
    control(out, 7, pairs);
}

fn array(out: &mut Vec<u8>, items: usize) {
    extended(out, 11, items);
}

fn string(out: &mut Vec<u8>, s: &str) {
    control(out, 2, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// uint16 (`kind` 5) or uint32 (6), in as few bytes as the value needs.
fn unsigned(out: &mut Vec<u8>, kind: u8, value: u64) {
    let bytes = minimal(value);
    control(out, kind, bytes.len());
    out.extend_from_slice(&bytes);
}

fn uint64(out: &mut Vec<u8>, value: u64) {
    let bytes = minimal(value);
    extended(out, 9, bytes.len());
    out.extend_from_slice(&bytes);
}

fn minimal(value: u64) -> Vec<u8> {
    value
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect()
}
