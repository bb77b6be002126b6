use super::*;
use std::io::Write;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gunzip_cases() {
    let small = gzip(b"hello");
    let zeros = gzip(&vec![0u8; 1 << 20]);
    let cases: Vec<(&str, Vec<u8>, usize, Result<usize, InflateError>)> = vec![
        ("fits", small.clone(), 100, Ok(5)),
        ("exactly at limit", small.clone(), 5, Ok(5)),
        (
            "one over",
            small,
            4,
            Err(InflateError::TooLarge { limit: 4 }),
        ),
        (
            "bomb stops at limit",
            zeros,
            1000,
            Err(InflateError::TooLarge { limit: 1000 }),
        ),
        (
            "not gzip",
            b"{\"a\":1}".to_vec(),
            100,
            Err(InflateError::Corrupt { format: "gzip" }),
        ),
    ];
    for (name, input, limit, want) in cases {
        let got = gunzip_bounded(&input, limit, &mut Unmetered).map(|v| v.len());
        assert_eq!(got, want, "{name}");
    }
}

/// Counts what was charged; refuses past `allow`.
struct Counting {
    charged: usize,
    allow: usize,
}

impl Meter for Counting {
    fn charge(&mut self, bytes: usize) -> bool {
        if self.charged + bytes > self.allow {
            return false;
        }
        self.charged += bytes;
        true
    }
}

#[test]
fn output_is_charged_before_it_is_kept() {
    let three_mib = gzip(&vec![b'a'; 3 << 20]);
    let cases: Vec<(&str, usize, usize, Result<usize, InflateError>, usize)> = vec![
        // (name, limit, allowed by the meter, result, charged)
        ("small", 100, usize::MAX, Ok(5), 100),
        ("steps of a MiB", 10 << 20, usize::MAX, Ok(3 << 20), 3 << 20),
        (
            "meter refuses",
            10 << 20,
            2 << 20,
            Err(InflateError::OutOfMemory),
            2 << 20,
        ),
        (
            "limit first",
            1 << 20,
            usize::MAX,
            Err(InflateError::TooLarge { limit: 1 << 20 }),
            1 << 20,
        ),
    ];
    for (name, limit, allow, want, want_charged) in cases {
        let input = if name == "small" {
            gzip(b"hello")
        } else {
            three_mib.clone()
        };
        let mut meter = Counting { charged: 0, allow };
        let got = gunzip_bounded(&input, limit, &mut meter).map(|v| {
            assert!(v.capacity() <= meter.charged, "{name}: capacity is charged");
            v.len()
        });
        assert_eq!(got, want, "{name}");
        assert_eq!(meter.charged, want_charged, "{name}");
    }
}
