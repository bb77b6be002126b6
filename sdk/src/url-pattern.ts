/**
 * Blocked-URL patterns, matched as the server matches them (`crates/reel-rrweb/src/url_pattern.rs`):
 * `*` matches any run of characters, every other character itself, and a pattern matches the
 * whole URL. Both are tested against `testdata/url-pattern-cases.json`.
 */

/** URLs are looked at up to this many characters. */
const MAX_URL_CHARS = 8 * 1024;

export type UrlPatterns = string[][];

export function compilePatterns(patterns: readonly string[]): UrlPatterns {
  return patterns
    .map((p) => String(p).trim())
    .filter((p) => p.length > 0)
    .map((p) => p.split('*'));
}

export function matchesAny(patterns: UrlPatterns, url: string): boolean {
  const text = url.slice(0, MAX_URL_CHARS);
  return patterns.some((parts) => matchesParts(parts, text));
}

function matchesParts(parts: string[], url: string): boolean {
  if (parts.length === 1) return parts[0] === url;
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (!url.startsWith(first)) return false;
  let at = first.length;
  for (const part of parts.slice(1, -1)) {
    const found = url.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return url.length - at >= last.length && url.endsWith(last);
}
