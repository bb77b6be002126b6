/**
 * Autocaptured analytics events: page views (initial load and history navigation), clicks on
 * interactive elements, and changes of form fields (never their values).
 */
import { stripUrl } from './network';
import { elementTextMasked, maskText, type ResolvedPrivacy } from './privacy';

export const PAGE_VIEWED = '[reel] Page Viewed';
export const ELEMENT_CLICKED = '[reel] Element Clicked';
export const ELEMENT_CHANGED = '[reel] Element Changed';

export type Properties = Record<string, unknown>;

const INTERACTIVE = 'a, button, input[type="button" i], input[type="submit" i], [role="button"], [onclick]';
/** Inputs whose value is a label the page wrote, not something the user typed. */
const BUTTON_INPUT_TYPES = ['button', 'submit', 'reset'];
const MAX_ANCESTORS = 10;
const MAX_TEXT = 255;

/** Query strings and fragments carry tokens (password resets, OAuth): page URLs go without them. */
export function pageProperties(loc: Location, title: string): Properties {
  return {
    '[reel] Page URL': `${loc.origin}${loc.pathname}`,
    '[reel] Page Domain': loc.hostname,
    '[reel] Page Path': loc.pathname,
    '[reel] Page Title': title,
  };
}

/** The nearest element, from the click target up, that a user would call clickable. */
export function interactiveAncestor(target: Element | null): Element | null {
  let el = target;
  for (let i = 0; el && i < MAX_ANCESTORS; i++, el = el.parentElement) {
    if (el.matches(INTERACTIVE) || typeof (el as HTMLElement).onclick === 'function') return el;
  }
  return null;
}

/** A readable CSS path from the nearest ancestor with an id (at most four levels). */
export function selectorOf(element: Element): string {
  const parts: string[] = [];
  for (let el: Element | null = element; el && parts.length < 4; el = el.parentElement) {
    const tag = el.tagName.toLowerCase();
    if (el.id) {
      parts.unshift(`${tag}#${cssEscape(el.id)}`);
      break;
    }
    let part = tag;
    const classes = Array.from(el.classList).filter((c) => !c.startsWith('reel-')).slice(0, 2);
    if (classes.length > 0) part += classes.map((c) => `.${cssEscape(c)}`).join('');
    const parent = el.parentElement;
    if (parent) {
      const sameTag = Array.from(parent.children).filter((c) => c.tagName === el!.tagName);
      if (sameTag.length > 1) part += `:nth-of-type(${sameTag.indexOf(el) + 1})`;
    }
    parts.unshift(part);
    if (tag === 'body') break;
  }
  return parts.join(' > ');
}

function cssEscape(s: string): string {
  return typeof CSS !== 'undefined' && typeof CSS.escape === 'function' ? CSS.escape(s) : s.replace(/[^\w-]/g, '\\$&');
}

/**
 * Visible label of a clicked element, masked when the element's text (or any of it, under a
 * masked or blocked descendant) is masked in replays. Form fields that are not buttons (an input
 * with an `onclick`, say) have no label here: their value is what the user typed.
 */
export function elementText(element: Element, privacy: ResolvedPrivacy): string {
  const tag = element.tagName;
  let raw: string;
  if (tag === 'INPUT') {
    const type = String((element as HTMLInputElement).type).toLowerCase();
    raw = BUTTON_INPUT_TYPES.includes(type) ? (element as HTMLInputElement).value : '';
  } else if (tag === 'TEXTAREA' || tag === 'SELECT') {
    raw = '';
  } else {
    raw = (element as HTMLElement).innerText ?? element.textContent ?? '';
  }
  const text = raw.replace(/\s+/g, ' ').trim().slice(0, MAX_TEXT);
  const masked =
    elementTextMasked(element, privacy) || element.querySelector(`${privacy.maskSelector}, ${privacy.blockSelector}`) !== null;
  return masked ? maskText(text) : text;
}

export function clickProperties(element: Element, privacy: ResolvedPrivacy): Properties {
  const props: Properties = {
    '[reel] Element Tag': element.tagName.toLowerCase(),
    '[reel] Element Text': elementText(element, privacy),
    '[reel] Element Selector': selectorOf(element),
  };
  if (element.id) props['[reel] Element ID'] = element.id;
  const href = element.getAttribute('href');
  if (element.tagName === 'A' && href) {
    // Like page URLs: no query or fragment; other schemes (mailto:, tel:) are left out.
    const base = element.ownerDocument?.baseURI;
    const stripped = base ? stripUrl(href, base) : null;
    if (stripped) props['[reel] Element Href'] = stripped;
  }
  return props;
}

export function changeProperties(element: Element): Properties {
  const props: Properties = {
    '[reel] Element Tag': element.tagName.toLowerCase(),
    '[reel] Element Selector': selectorOf(element),
  };
  if (element.id) props['[reel] Element ID'] = element.id;
  const type = element.getAttribute('type');
  if (type) props['[reel] Element Type'] = type.toLowerCase();
  const name = element.getAttribute('name');
  if (name) props['[reel] Element Name'] = name;
  return props;
}

export interface AutocaptureOptions {
  track(eventType: string, properties: Properties): void;
  privacy: ResolvedPrivacy;
}

/** Installs listeners and history hooks; sends the first page view now. Returns the uninstaller. */
export function startAutocapture(win: Window, options: AutocaptureOptions): () => void {
  const { track, privacy } = options;
  const doc = win.document;
  let lastUrl = '';
  const pageView = (): void => {
    try {
      if (win.location.href === lastUrl) return;
      lastUrl = win.location.href;
      track(PAGE_VIEWED, pageProperties(win.location, doc.title));
    } catch {
      // ignore
    }
  };
  const onClick = (event: Event): void => {
    try {
      const target = event.target instanceof Element ? event.target : null;
      const element = interactiveAncestor(target);
      if (element) track(ELEMENT_CLICKED, { ...clickProperties(element, privacy), ...pageProperties(win.location, doc.title) });
    } catch {
      // ignore
    }
  };
  const onChange = (event: Event): void => {
    try {
      const target = event.target;
      if (target instanceof Element && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) {
        track(ELEMENT_CHANGED, { ...changeProperties(target), ...pageProperties(win.location, doc.title) });
      }
    } catch {
      // ignore
    }
  };

  // Titles are usually set right after a client-side navigation; wait a tick for them.
  const afterNavigation = (): void => void win.setTimeout(pageView, 0);
  const history = win.history;
  const originalPush = history.pushState;
  const originalReplace = history.replaceState;
  const hook = (original: History['pushState']): History['pushState'] =>
    function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original.apply(this, args);
      afterNavigation();
      return result;
    };
  const hookedPush = hook(originalPush);
  const hookedReplace = hook(originalReplace);
  history.pushState = hookedPush;
  history.replaceState = hookedReplace;
  win.addEventListener('popstate', afterNavigation);
  doc.addEventListener('click', onClick, true);
  doc.addEventListener('change', onChange, true);
  pageView();

  return () => {
    if (history.pushState === hookedPush) history.pushState = originalPush;
    if (history.replaceState === hookedReplace) history.replaceState = originalReplace;
    win.removeEventListener('popstate', afterNavigation);
    doc.removeEventListener('click', onClick, true);
    doc.removeEventListener('change', onChange, true);
  };
}
