// Confines the URLs of a recording before rrweb sees them.
//
// rrweb rebuilds recorded pages in an about:blank iframe of the player page. Its base URL is
// the player page's, so a recorded relative URL (`<img src="x">`, `url(a.png)`, even
// `/api/v1/me`) would be fetched from reel, with the viewer's session cookie. Chromium gives no
// way to strip cookies from that document's requests (a `credentialless` iframe still sends
// them from its initial about:blank document) and a `<base>` element is refused by the UI's
// CSP (`base-uri 'none'`) and would come too late for images anyway (they resolve when built).
//
// So every URL the browser could fetch is rewritten here, in the events themselves, which makes
// it hold for full-snapshot rebuilds, nodes added by mutations, seeking (rrweb's virtual DOM)
// and navigation alike:
// - relative URLs are resolved against the recorded page's URL: the `href` of the Meta event
//   current at that point of the recording (it changes when the recorded user navigates);
//   without an http(s) page URL they cannot be resolved and are dropped;
// - URLs that resolve to reel's host (any port: cookies ignore ports) are dropped, except
//   reel's public demo shop files (`/demo/…`, only on reel's own origin);
// - schemes other than http(s), data:, blob: and about: are dropped where they would load;
// - what could widen the referrer policy is neutralised (`referrerpolicy` attributes,
//   `<meta name="referrer">`), as are `<meta http-equiv>` pragmas (refresh, …) and iframe
//   `src`/`srcdoc` (rrweb records child documents itself; a src would load a page).
// Navigation-only attributes (`<a href>`, `action`, …) are resolved but never dropped: the
// replay cannot be clicked and its forms cannot be submitted (sandbox without allow-forms).

import type { RecordedEvent } from '../api';
import { rewriteCssUrls } from './css-urls';

export interface ReelLocation {
  /** e.g. `https://reel.example.com` */
  origin: string;
  /** e.g. `reel.example.com` */
  hostname: string;
}

const EventType = { FullSnapshot: 2, IncrementalSnapshot: 3, Meta: 4 } as const;
const Source = { Mutation: 0, StyleSheetRule: 8, Font: 10, StyleDeclaration: 13, AdoptedStyleSheet: 15 } as const;
const NodeType = { Document: 0, Element: 2, Text: 3 } as const;

/** Attributes whose URL the browser fetches on any element. */
const FETCHED = new Set(['src', 'poster', 'background', 'lowsrc', 'dynsrc', 'manifest', 'rr_dataurl', 'codebase', 'archive', 'icon']);
/** Attributes holding a list of URLs with descriptors. */
const SRCSETS = new Set(['srcset', 'imagesrcset']);
/** Attributes that only name a navigation target (followed on click or submit, never here). */
const NAVIGATIONS = new Set(['action', 'formaction', 'cite', 'longdesc', 'ping', 'itemid', 'itemtype']);
/** Attributes holding CSS: the style attribute and the SVG presentation attributes taking url(). */
const CSS_ATTRIBUTES = new Set(['style', '_csstext', 'fill', 'stroke', 'filter', 'clip-path', 'mask', 'marker-start', 'marker-mid', 'marker-end', 'cursor']);
/** CSS properties where `url(#id)` names an element of the same document (no fetch). */
const SAME_DOCUMENT_REFERENCES = new Set(['fill', 'stroke', 'filter', 'clip-path', '-webkit-clip-path', 'mask', 'mask-image', 'marker', 'marker-start', 'marker-mid', 'marker-end']);
/** HTML elements whose href is a navigation target, not a resource. */
const NAVIGATION_HREF = new Set(['a', 'area', 'base']);
const KEPT_SCHEMES = new Set(['data:', 'blob:', 'about:']);

interface ElementInfo {
  tag: string;
  svg: boolean;
}

type Attributes = Record<string, unknown>;

/**
 * Rewrites, in place, every URL in `events` as described above. The events must be in time
 * order (the order rrweb plays them in).
 */
export function confineRecordedUrls(events: readonly RecordedEvent[], reel: ReelLocation): void {
  const recording = new RecordingUrls(reel);
  for (const event of events) recording.visit(event);
}

/**
 * The same rewrite for a recording that arrives in parts (the windowed player): each part is
 * passed in time order, continuing the previous one, and the recorded page and known elements
 * carry over between parts.
 */
export function recordedUrlConfiner(reel: ReelLocation): { confine(events: readonly RecordedEvent[]): void } {
  const recording = new RecordingUrls(reel);
  return {
    confine(events) {
      for (const event of events) recording.visit(event);
    },
  };
}

class RecordingUrls {
  private page: URL | null = null;
  /** Elements by node id (since the last full snapshot), for attribute mutations. */
  private elements = new Map<number, ElementInfo>();
  /** Ids of `<style>` elements and of the text nodes inside them (their text is CSS). */
  private styleElements = new Set<number>();
  private styleTexts = new Set<number>();

  constructor(private readonly reel: ReelLocation) {}

  visit(event: RecordedEvent): void {
    const data = event.data;
    if (!isRecord(data)) return;
    if (event.type === EventType.Meta) {
      this.page = httpUrl(data.href);
    } else if (event.type === EventType.FullSnapshot) {
      this.elements.clear();
      this.styleElements.clear();
      this.styleTexts.clear();
      this.walk(data.node, false);
    } else if (event.type === EventType.IncrementalSnapshot) {
      this.incremental(data);
    }
  }

  private incremental(data: Record<string, unknown>): void {
    switch (data.source) {
      case Source.Mutation:
        for (const add of records(data.adds)) this.walk(add.node, typeof add.parentId === 'number' && this.styleElements.has(add.parentId));
        for (const change of records(data.attributes)) {
          if (!isRecord(change.attributes)) continue;
          const element = typeof change.id === 'number' ? this.elements.get(change.id) : undefined;
          this.attributes(element ?? null, change.attributes, true);
        }
        for (const text of records(data.texts)) {
          if (typeof text.id === 'number' && this.styleTexts.has(text.id) && typeof text.value === 'string') {
            text.value = this.css(text.value);
          }
        }
        break;
      case Source.StyleSheetRule:
        for (const add of records(data.adds)) if (typeof add.rule === 'string') add.rule = this.css(add.rule);
        for (const key of ['replace', 'replaceSync']) if (typeof data[key] === 'string') data[key] = this.css(data[key]);
        break;
      case Source.StyleDeclaration:
        if (isRecord(data.set) && typeof data.set.value === 'string') {
          const property = typeof data.set.property === 'string' ? data.set.property.toLowerCase() : null;
          data.set.value = this.css(data.set.value, property);
        }
        break;
      case Source.AdoptedStyleSheet:
        for (const style of records(data.styles)) {
          for (const rule of records(style.rules)) if (typeof rule.rule === 'string') rule.rule = this.css(rule.rule);
        }
        break;
      case Source.Font:
        if (!data.buffer && typeof data.fontSource === 'string') data.fontSource = this.css(data.fontSource, 'src');
        break;
    }
  }

  /** Walks a serialized node tree without recursion (recordings can nest arbitrarily deep). */
  private walk(root: unknown, rootInStyle: boolean): void {
    const stack: [unknown, boolean][] = [[root, rootInStyle]];
    while (stack.length > 0) {
      const [node, inStyle] = stack.pop()!;
      if (!isRecord(node)) continue;
      const id = typeof node.id === 'number' ? node.id : null;
      if (node.type === NodeType.Text) {
        if ((inStyle || node.isStyle === true) && typeof node.textContent === 'string') {
          node.textContent = this.css(node.textContent);
          if (id !== null) this.styleTexts.add(id);
        }
        continue;
      }
      let childrenInStyle = false;
      if (node.type === NodeType.Element) {
        const element = { tag: typeof node.tagName === 'string' ? node.tagName.toLowerCase() : '', svg: node.isSVG === true };
        if (id !== null) this.elements.set(id, element);
        if (isRecord(node.attributes)) this.attributes(element, node.attributes, false);
        childrenInStyle = element.tag === 'style';
        if (childrenInStyle && id !== null) this.styleElements.add(id);
      } else if (node.type !== NodeType.Document) {
        continue;
      }
      if (Array.isArray(node.childNodes)) {
        for (let i = node.childNodes.length - 1; i >= 0; i--) stack.push([node.childNodes[i], childrenInStyle]);
      }
    }
  }

  /**
   * Rewrites one element's attributes. `element` is null for a mutation on a node this
   * recording never showed (then every href counts as fetched). In a mutation, null removes an
   * attribute, and a style attribute may be an object of property changes.
   */
  private attributes(element: ElementInfo | null, attributes: Attributes, isMutation: boolean): void {
    const drop = (name: string): void => {
      if (isMutation) attributes[name] = null;
      else delete attributes[name];
    };
    const rename = (name: string, value: unknown): void => {
      drop(name);
      attributes[`reel-neutralized-${name}`] = value;
    };
    const tag = element?.tag ?? null;
    for (const name of Object.keys(attributes)) {
      const value = attributes[name];
      const key = name.toLowerCase();
      if (key === 'style' && isRecord(value)) {
        for (const [property, part] of Object.entries(value)) {
          if (typeof part === 'string') value[property] = this.css(part, property.toLowerCase());
          else if (Array.isArray(part) && typeof part[0] === 'string') part[0] = this.css(part[0], property.toLowerCase());
        }
        continue;
      }
      if (typeof value !== 'string') continue;
      if (key === 'srcdoc' || (key === 'src' && (tag === 'iframe' || tag === 'frame'))) {
        drop(name);
        continue;
      }
      if ((tag === 'object' || tag === 'embed') && (key === 'data' || key === 'src')) {
        drop(name); // object-src 'none' refuses them anyway; dropping spares a CSP error per element
        continue;
      }
      if (key === 'referrerpolicy') {
        attributes[name] = 'no-referrer';
      } else if (key === 'http-equiv' && (tag === 'meta' || tag === null)) {
        rename(name, value);
      } else if (key === 'name' && (tag === 'meta' || tag === null) && value.trim().toLowerCase() === 'referrer') {
        rename(name, value);
      } else if (CSS_ATTRIBUTES.has(key)) {
        attributes[name] = this.css(value, key === 'style' || key === '_csstext' ? null : key);
      } else if (SRCSETS.has(key)) {
        const srcset = rewriteSrcset(value, (url) => this.fetched(url));
        if (srcset === null) drop(name);
        else attributes[name] = srcset;
      } else if (key === 'href' || key === 'xlink:href') {
        if (tag !== null && NAVIGATION_HREF.has(tag) && !element?.svg) {
          attributes[name] = this.navigation(value);
        } else if (value.trim().startsWith('#') && element?.svg && tag !== 'image') {
          // <use href="#icon">: an element of the same document.
        } else {
          this.keepOrDrop(attributes, name, this.fetched(value), drop);
        }
      } else if (FETCHED.has(key) || (key === 'data' && tag === 'object')) {
        this.keepOrDrop(attributes, name, this.fetched(value), drop);
      } else if (NAVIGATIONS.has(key)) {
        attributes[name] = key === 'ping' ? value.split(/\s+/).filter(Boolean).map((url) => this.navigation(url)).join(' ') : this.navigation(value);
      }
    }
  }

  private keepOrDrop(attributes: Attributes, name: string, url: string | null, drop: (name: string) => void): void {
    if (url === null) drop(name);
    else attributes[name] = url;
  }

  private css(text: string, property: string | null = null): string {
    return rewriteCssUrls(text, (url, urlProperty) => {
      const declared = urlProperty ?? property;
      if (url.trim().startsWith('#') && declared !== null && SAME_DOCUMENT_REFERENCES.has(declared)) return url;
      return this.fetched(url);
    });
  }

  /** A URL the browser would fetch: absolute and off reel's host, or null to drop it. */
  private fetched(raw: string): string | null {
    const value = raw.trim();
    if (value === '') return null;
    let url: URL;
    try {
      url = new URL(value, this.page ?? undefined);
    } catch {
      return null; // relative, with no recorded page to resolve it against
    }
    if (KEPT_SCHEMES.has(url.protocol)) return raw;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (url.hostname === this.reel.hostname) {
      const demoFile = url.origin === this.reel.origin && url.pathname.startsWith('/demo/');
      return demoFile ? url.href : null;
    }
    return url.href;
  }

  /** A navigation target: resolved against the recorded page when it can be. */
  private navigation(raw: string): string {
    const value = raw.trim();
    if (value === '' || value.startsWith('#') || !this.page) return raw;
    try {
      return new URL(value, this.page).href;
    } catch {
      return raw;
    }
  }
}

/**
 * Rewrites each candidate URL of a srcset (HTML's "parse a srcset attribute"): candidates are
 * separated by commas after a URL or after descriptors; a URL itself may contain commas (data:).
 * Returns null when no candidate is left.
 */
export function rewriteSrcset(value: string, rewrite: (url: string) => string | null): string | null {
  const candidates: string[] = [];
  let i = 0;
  const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
  while (i < value.length) {
    while (i < value.length && (isSpace(value[i]) || value[i] === ',')) i += 1;
    if (i >= value.length) break;
    const start = i;
    while (i < value.length && !isSpace(value[i])) i += 1;
    let url = value.slice(start, i);
    let descriptors = '';
    if (url.endsWith(',')) {
      url = url.replace(/,+$/, '');
    } else {
      const descriptorStart = i;
      let inParens = false;
      while (i < value.length) {
        const c = value[i]!;
        if (c === '(') inParens = true;
        else if (c === ')') inParens = false;
        else if (c === ',' && !inParens) break;
        i += 1;
      }
      descriptors = value.slice(descriptorStart, i).trim();
      i += 1; // the comma
    }
    const rewritten = rewrite(url);
    if (rewritten !== null) candidates.push(descriptors ? `${rewritten} ${descriptors}` : rewritten);
  }
  return candidates.length > 0 ? candidates.join(', ') : null;
}

function httpUrl(value: unknown): URL | null {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
