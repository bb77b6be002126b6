//! How deeply a JSON text nests: the one count behind every depth limit (an upload's events, a
//! stored event's properties).

/// How deeply arrays and objects nest in a JSON text (0 for a scalar; strings are skipped
/// correctly). A cheap byte scan without recursion: it runs before anything builds a tree from
/// the text.
pub fn nesting_depth(json: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in json.as_bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_depth_cases() {
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let cases: &[(&str, usize)] = &[
            ("1", 0),
            ("\"[[[\"", 0),
            ("[]", 1),
            ("{}", 1),
            (r#"{"a":[1,{"b":[]}]}"#, 4),
            ("{\"a\":[{}]}", 3),
            (r#"{"a":"[[[[{{{"}"#, 1),
            (r#"{"a":"\"[[[","b":[]}"#, 2),
            ("[\"\\\"[\", [1]]", 2),
            (r#"{"a":"\\","b":[[]]}"#, 3),
            ("[[1],[2],[[3]]]", 3),
            (&deep, 5000),
        ];
        for (text, want) in cases {
            assert_eq!(nesting_depth(text), *want, "{text:.40}");
        }
    }
}
