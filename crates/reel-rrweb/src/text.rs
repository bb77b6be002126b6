//! Small text helpers shared by attribution and signals: URL stripping, whitespace, masking,
//! truncation. All bounded, none allocate more than their output.

/// `https://h/p?q#f` → `https://h/p`: query string and fragment cut, at most `max` bytes.
pub fn strip_url(url: &str, max: usize) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    crate::json::truncate_str(url[..end].trim(), max)
}

/// The path of a URL (`https://h/a/b?q` → `/a/b`); the whole (stripped) text when it has no
/// `scheme://host` part.
pub fn url_path(url: &str) -> &str {
    let url = strip_url(url, usize::MAX);
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            match rest.find('/') {
                Some(j) => &rest[j..],
                None => "/",
            }
        }
        None => url,
    }
}

/// Whether the text is what rrweb's masking leaves: only `*` and whitespace (and not empty).
pub fn is_masked(text: &str) -> bool {
    let mut stars = false;
    for c in text.chars() {
        match c {
            '*' => stars = true,
            c if c.is_whitespace() => {}
            _ => return false,
        }
    }
    stars
}

/// Appends `text` to `out` with runs of whitespace collapsed to one space, leading whitespace
/// dropped, until `out` holds `max_chars` characters. Returns false once full.
pub fn push_collapsed(out: &mut String, text: &str, max_chars: usize, chars: &mut usize) -> bool {
    for c in text.chars() {
        if *chars >= max_chars {
            return false;
        }
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
                *chars += 1;
            }
        } else {
            out.push(c);
            *chars += 1;
        }
    }
    *chars < max_chars
}

/// `text` with whitespace collapsed and trimmed, at most `max_chars` characters.
pub fn collapse(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    push_collapsed(&mut out, text, max_chars, &mut n);
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out
}

/// At most `max_chars` characters of `text`, with `…` when cut.
pub fn ellipsize(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_owned(),
        Some((i, _)) => format!("{}…", text[..i].trim_end()),
    }
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
