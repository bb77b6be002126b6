// Client-side routing on the History API. Every view is a function of the URL, so any screen
// can be shared by copying the address bar.

export type Cleanup = () => void;

export interface ViewContext {
  root: HTMLElement;
  url: URL;
  params: Record<string, string>;
  /** Aborted when the user leaves the view; pass it to fetches. */
  signal: AbortSignal;
}

export type View = (ctx: ViewContext) => Cleanup | void;

interface Route {
  pattern: RegExp;
  keys: string[];
  view: View;
}

const routes: Route[] = [];
let current: { cleanup: Cleanup | void; controller: AbortController } | null = null;
let root: HTMLElement | null = null;
let notFound: View = () => {};

/** Registers a view for a path like `/replays/:id`. */
export function route(path: string, view: View): void {
  const keys: string[] = [];
  const source = path.replace(/:([a-z]+)/g, (_, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  routes.push({ pattern: new RegExp(`^${source}/?$`), keys, view });
}

export function startRouter(appRoot: HTMLElement, notFoundView: View): void {
  root = appRoot;
  notFound = notFoundView;
  window.addEventListener('popstate', render);
  document.addEventListener('click', (event) => {
    const target = (event.target as Element | null)?.closest('a');
    if (!target || !isAppLink(target, event)) return;
    event.preventDefault();
    navigate(target.pathname + target.search);
  });
  render();
}

/** Goes to an in-app URL (path + query) and renders it. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  render();
}

/** Changes the query string without re-rendering (for view state the view already shows). */
export function updateQuery(changes: Record<string, string | null>): void {
  const url = new URL(location.href);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  history.replaceState(null, '', url.pathname + url.search);
}

function render(): void {
  if (!root) return;
  if (current) {
    current.controller.abort();
    current.cleanup?.();
  }
  const url = new URL(location.href);
  const controller = new AbortController();
  root.replaceChildren();
  for (const candidate of routes) {
    const match = candidate.pattern.exec(url.pathname);
    if (!match) continue;
    const params: Record<string, string> = {};
    candidate.keys.forEach((key, i) => {
      params[key] = decodeParam(match[i + 1] ?? '');
    });
    current = { controller, cleanup: candidate.view({ root, url, params, signal: controller.signal }) };
    return;
  }
  current = { controller, cleanup: notFound({ root, url, params: {}, signal: controller.signal }) };
}

/** A path segment decoded; a malformed escape (`%E0%A4%A`) is kept as typed rather than blanking the app. */
export function decodeParam(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function isAppLink(link: HTMLAnchorElement, event: MouseEvent): boolean {
  if (event.defaultPrevented || event.button !== 0) return false;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return false;
  if (link.target && link.target !== '_self') return false;
  if (link.hasAttribute('download') || link.origin !== location.origin) return false;
  return routes.some((r) => r.pattern.test(link.pathname));
}
