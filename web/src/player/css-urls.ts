// Finds every URL a browser would fetch from a piece of CSS and lets the caller replace it.
//
// A regular expression is not enough for untrusted CSS: `u\72l(x)` is a url() to the browser,
// `"url(x)"` is not, and comments and strings can hide either. This follows the tokenizer of
// CSS Syntax Level 3 (https://www.w3.org/TR/css-syntax-3/#tokenization) as far as URLs need:
// comments, strings, escapes, ident-like tokens (url( and other functions), hashes, at-keywords.
// URLs are: url() tokens, url("…") functions, strings directly inside image-set(),
// -webkit-image-set() and src(), and the string of an @import prelude.
//
// A value substituted into one of those functions (`image-set(var(--img) 1x)`) is only known
// when the style is computed, so any function other than an image, a gradient or url()
// directly inside them is renamed, which makes the declaration invalid: the browser drops it.
//
// Text that carries no URL is copied unchanged, so rrweb's `/* rr_split */` markers and its
// hover-class rewriting keep working on the result.

/**
 * Decides what one URL becomes. `property` is the declaration the URL appears in (lower-case,
 * e.g. `background-image`, `src` in @font-face), or null outside a declaration (@import).
 * Return the URL unchanged to keep the original text, another URL to replace it, or null to
 * make it empty (an empty url() fetches nothing).
 */
export type UrlRewrite = (url: string, property: string | null) => string | null;

const URL_STRING_FUNCTIONS = new Set(['image-set', '-webkit-image-set', 'src']);
/** Functions that may appear directly inside a URL_STRING_FUNCTION; others could supply a URL. */
const IMAGE_FUNCTIONS = new Set(['url', 'type', 'image-set', '-webkit-image-set', 'cross-fade', '-webkit-cross-fade', 'image', 'element', 'paint', '-webkit-gradient']);
const GRADIENT = /^(-webkit-|-moz-|-o-)?(repeating-)?(linear|radial|conic)-gradient$/;
const BLOCKED_FUNCTION = 'reel-blocked';

export function rewriteCssUrls(input: string, rewrite: UrlRewrite): string {
  // CSS preprocessing turns NUL into U+FFFD (a valid URL and name character).
  const css = input.includes('\0') ? input.replace(/\0/g, '\ufffd') : input;
  const out: string[] = [];
  let copiedUpTo = 0;
  /** Names of the functions (or '' for plain parentheses) the position is inside of. */
  const functions: string[] = [];
  let lastIdent: string | null = null;
  let property: string | null = null;
  let inImportPrelude = false;
  let i = 0;

  const replace = (start: number, end: number, text: string): void => {
    out.push(css.slice(copiedUpTo, start), text);
    copiedUpTo = end;
  };
  const insideUrlStringFunction = (): boolean =>
    functions.length > 0 && URL_STRING_FUNCTIONS.has(functions[functions.length - 1]!);
  const urlFor = (url: string): string | null | undefined => {
    const replacement = rewrite(url, property);
    return replacement === url ? undefined : replacement;
  };

  while (i < css.length) {
    const c = css[i]!;
    if (c === '/' && css[i + 1] === '*') {
      const close = css.indexOf('*/', i + 2);
      i = close === -1 ? css.length : close + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = i;
      const string = consumeString(css, i);
      i = string.end;
      if (insideUrlStringFunction() || (inImportPrelude && functions.length === 0)) {
        const replacement = urlFor(string.value);
        if (replacement !== undefined) replace(start, i, quote(replacement ?? ''));
      }
      lastIdent = null;
      continue;
    }
    if (c === '#' && (isName(css, i + 1) || startsEscape(css, i + 1))) {
      i = consumeName(css, i + 1).end;
      lastIdent = null;
      continue;
    }
    if (c === '@' && startsIdent(css, i + 1)) {
      const name = consumeName(css, i + 1);
      i = name.end;
      inImportPrelude = name.value.toLowerCase() === 'import';
      property = null;
      lastIdent = null;
      continue;
    }
    if (isDigit(c) || ((c === '.' || c === '+' || c === '-') && startsNumber(css, i))) {
      i = consumeNumeric(css, i);
      lastIdent = null;
      continue;
    }
    if (startsIdent(css, i)) {
      const start = i;
      const name = consumeName(css, i);
      i = name.end;
      const lower = name.value.toLowerCase();
      if (css[i] !== '(') {
        lastIdent = lower;
        continue;
      }
      i += 1;
      lastIdent = null;
      if (lower !== 'url') {
        if (insideUrlStringFunction() && !IMAGE_FUNCTIONS.has(lower) && !GRADIENT.test(lower)) {
          replace(start, i - 1, BLOCKED_FUNCTION);
        }
        functions.push(lower);
        continue;
      }
      const afterSpace = skipWhitespace(css, i);
      if (css[afterSpace] === '"' || css[afterSpace] === "'") {
        // url( "…" ): a function whose string argument is the URL.
        const string = consumeString(css, afterSpace);
        const replacement = urlFor(string.value);
        if (replacement !== undefined) replace(afterSpace, string.end, quote(replacement ?? ''));
        i = string.end;
        functions.push('url');
        continue;
      }
      const token = consumeUrlToken(css, afterSpace);
      i = token.end;
      if (token.value !== null) {
        const replacement = urlFor(token.value);
        if (replacement !== undefined) replace(start, i, `url(${quote(replacement ?? '')})`);
      }
      continue;
    }
    if (c === '(') functions.push('');
    else if (c === ')') functions.pop();
    else if (c === ':' && functions.length === 0 && lastIdent !== null) property = lastIdent;
    else if (c === ';' || c === '{' || c === '}') {
      property = null;
      inImportPrelude = false;
    }
    if (!isWhitespace(c)) lastIdent = null;
    i += 1;
  }
  if (copiedUpTo === 0) return input;
  out.push(css.slice(copiedUpTo));
  return out.join('');
}

/** A CSS string token for any text (quotes, backslashes and line breaks escaped). */
function quote(value: string): string {
  return `"${value.replace(/[\\"]|[\u0000-\u001f\u007f]/g, (ch) => (ch === '\\' || ch === '"' ? `\\${ch}` : `\\${ch.charCodeAt(0).toString(16)} `))}"`;
}

function consumeString(css: string, start: number): { value: string; end: number } {
  const ending = css[start]!;
  let value = '';
  let i = start + 1;
  while (i < css.length) {
    const c = css[i]!;
    if (c === ending) return { value, end: i + 1 };
    if (c === '\n' || c === '\r' || c === '\f') return { value, end: i }; // bad string: ends before the newline
    if (c === '\\') {
      const next = css[i + 1];
      if (next === undefined) return { value, end: i + 1 };
      if (next === '\n' || next === '\f') {
        i += 2;
        continue;
      }
      if (next === '\r') {
        i += css[i + 2] === '\n' ? 3 : 2;
        continue;
      }
    }
    const point = consumeCodePoint(css, i);
    value += point.value;
    i = point.end;
  }
  return { value, end: i };
}

/** An unquoted url( … ) after its opening parenthesis; value null for a bad url (fetches nothing). */
function consumeUrlToken(css: string, start: number): { value: string | null; end: number } {
  let value = '';
  let i = start;
  while (i < css.length) {
    const c = css[i]!;
    if (c === ')') return { value, end: i + 1 };
    if (isWhitespace(c)) {
      const after = skipWhitespace(css, i);
      if (after >= css.length) return { value, end: after };
      if (css[after] === ')') return { value, end: after + 1 };
      return { value: null, end: consumeBadUrlRemnants(css, after) };
    }
    if (c === '"' || c === "'" || c === '(' || isNonPrintable(c)) {
      return { value: null, end: consumeBadUrlRemnants(css, i) };
    }
    if (c === '\\' && !startsEscape(css, i)) return { value: null, end: consumeBadUrlRemnants(css, i) };
    const point = consumeCodePoint(css, i);
    value += point.value;
    i = point.end;
  }
  return { value, end: i };
}

function consumeBadUrlRemnants(css: string, start: number): number {
  let i = start;
  while (i < css.length) {
    if (css[i] === ')') return i + 1;
    if (startsEscape(css, i)) i = consumeEscape(css, i + 1).end;
    else i += 1;
  }
  return i;
}

/** The code point of a token's text at `start`: an escape (a backslash there) decoded, else the character. */
function consumeCodePoint(css: string, start: number): { value: string; end: number } {
  return css[start] === '\\' ? consumeEscape(css, start + 1) : { value: css[start]!, end: start + 1 };
}

/** The escaped code point after a backslash (at `start`). */
function consumeEscape(css: string, start: number): { value: string; end: number } {
  let i = start;
  let hex = '';
  while (hex.length < 6 && i < css.length && /[0-9a-fA-F]/.test(css[i]!)) hex += css[i++];
  if (hex === '') {
    if (i >= css.length) return { value: '\ufffd', end: i };
    const cp = css.codePointAt(i)!;
    return { value: String.fromCodePoint(cp), end: i + (cp > 0xffff ? 2 : 1) };
  }
  if (css[i] === '\r' && css[i + 1] === '\n') i += 2;
  else if (i < css.length && isWhitespace(css[i]!)) i += 1;
  const cp = parseInt(hex, 16);
  const valid = cp !== 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
  return { value: valid ? String.fromCodePoint(cp) : '\ufffd', end: i };
}

function consumeName(css: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start;
  while (i < css.length && (isName(css, i) || startsEscape(css, i))) {
    const point = consumeCodePoint(css, i);
    value += point.value;
    i = point.end;
  }
  return { value, end: i };
}

function consumeNumeric(css: string, start: number): number {
  let i = start;
  if (css[i] === '+' || css[i] === '-') i += 1;
  while (isDigit(css[i])) i += 1;
  if (css[i] === '.' && isDigit(css[i + 1])) {
    i += 1;
    while (isDigit(css[i])) i += 1;
  }
  if ((css[i] === 'e' || css[i] === 'E') && (isDigit(css[i + 1]) || ((css[i + 1] === '+' || css[i + 1] === '-') && isDigit(css[i + 2])))) {
    i += 2;
    while (isDigit(css[i])) i += 1;
  }
  if (startsIdent(css, i)) return consumeName(css, i).end; // a dimension's unit
  if (css[i] === '%') return i + 1;
  return i;
}

function startsNumber(css: string, i: number): boolean {
  const c = css[i];
  if (c === '+' || c === '-') return isDigit(css[i + 1]) || (css[i + 1] === '.' && isDigit(css[i + 2]));
  if (c === '.') return isDigit(css[i + 1]);
  return isDigit(c);
}

function startsIdent(css: string, i: number): boolean {
  const c = css[i];
  if (c === '-') return css[i + 1] === '-' || isNameStart(css[i + 1]) || startsEscape(css, i + 1);
  return isNameStart(c) || startsEscape(css, i);
}

function startsEscape(css: string, i: number): boolean {
  return css[i] === '\\' && i + 1 < css.length && css[i + 1] !== '\n' && css[i + 1] !== '\r' && css[i + 1] !== '\f';
}

function isNameStart(c: string | undefined): boolean {
  return c !== undefined && (/[a-zA-Z_]/.test(c) || c.charCodeAt(0) >= 0x80);
}

function isName(css: string, i: number): boolean {
  const c = css[i];
  return c !== undefined && (isNameStart(c) || isDigit(c) || c === '-');
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isWhitespace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
}

function isNonPrintable(c: string): boolean {
  const code = c.charCodeAt(0);
  return code <= 0x08 || code === 0x0b || (code >= 0x0e && code <= 0x1f) || code === 0x7f;
}

function skipWhitespace(css: string, start: number): number {
  let i = start;
  while (i < css.length && isWhitespace(css[i]!)) i += 1;
  return i;
}
