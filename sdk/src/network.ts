/**
 * Failed-request capture: wraps fetch and XMLHttpRequest and reports requests that ended with a
 * status >= 400 or never got an answer. Only URL (without query or fragment), method, status and
 * timing are kept: never bodies, never headers.
 */

export interface FailedRequest {
  name: string;
  method: string;
  status: number;
  startTime: number;
  endTime: number;
  duration: number;
  initiatorType: 'fetch' | 'xmlhttprequest';
  error?: string;
}

export interface NetworkCaptureOptions {
  onFailure(request: FailedRequest): void;
  /** True for URLs (already stripped) that must not be reported, i.e. the SDK's own endpoints. */
  ignore(url: string): boolean;
  now(): number;
}

/** `https://h/p?q#f` → `https://h/p`; null for URLs that are not http(s). */
export function stripUrl(raw: string, base: string): string | null {
  try {
    const url = new URL(raw, base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return `${url.origin}${url.pathname}`;
  } catch {
    return null;
  }
}

export function isFailure(status: number): boolean {
  return status === 0 || status >= 400;
}

function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

/** Installs the wrappers on `win`; returns the uninstaller. */
export function captureFailedRequests(win: Window & typeof globalThis, options: NetworkCaptureOptions): () => void {
  const undo: Array<() => void> = [];
  const report = (
    rawUrl: string,
    method: string,
    status: number,
    startTime: number,
    initiatorType: FailedRequest['initiatorType'],
    error?: string,
  ): void => {
    try {
      const name = stripUrl(rawUrl, win.location.href);
      if (name === null || options.ignore(name)) return;
      const endTime = options.now();
      const request: FailedRequest = {
        name,
        method: method.toUpperCase(),
        status,
        startTime,
        endTime,
        duration: endTime - startTime,
        initiatorType,
      };
      if (error !== undefined) request.error = error;
      options.onFailure(request);
    } catch {
      // Reporting must never affect the page's own request.
    }
  };

  const originalFetch = win.fetch;
  if (typeof originalFetch === 'function') {
    const wrapped = function (this: unknown, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      const response = originalFetch.call(this ?? win, input, init);
      try {
        let url = '';
        let method = 'GET';
        if (typeof Request !== 'undefined' && input instanceof Request) {
          url = input.url;
          method = input.method;
        } else {
          url = String(input);
        }
        if (init?.method) method = init.method;
        const startTime = options.now();
        response.then(
          (res) => {
            if (res.status >= 400) report(url, method, res.status, startTime, 'fetch');
          },
          (error: unknown) => {
            if (!isAbort(error)) report(url, method, 0, startTime, 'fetch', errorText(error, win.location.href));
          },
        );
      } catch {
        // Never in the page's way.
      }
      return response;
    };
    win.fetch = wrapped as typeof fetch;
    undo.push(() => {
      if (win.fetch === wrapped) win.fetch = originalFetch;
    });
  }

  const xhrProto = win.XMLHttpRequest?.prototype;
  if (xhrProto) {
    const originalOpen = xhrProto.open;
    const originalSend = xhrProto.send;
    const opened = new WeakMap<XMLHttpRequest, { method: string; url: string }>();
    xhrProto.open = function (this: XMLHttpRequest, method: string, url: string | URL, ...rest: unknown[]) {
      try {
        opened.set(this, { method: String(method), url: String(url) });
      } catch {
        // ignore
      }
      return (originalOpen as (...args: unknown[]) => void).call(this, method, url, ...rest);
    } as typeof xhrProto.open;
    xhrProto.send = function (this: XMLHttpRequest, body?: Document | XMLHttpRequestBodyInit | null) {
      try {
        const request = opened.get(this);
        if (request) {
          const startTime = options.now();
          let failure: string | undefined;
          const onError = (): void => {
            failure = 'network error';
          };
          const onTimeout = (): void => {
            failure = 'timeout';
          };
          let aborted = false;
          const onAbort = (): void => {
            aborted = true;
          };
          const onEnd = (): void => {
            this.removeEventListener('error', onError);
            this.removeEventListener('timeout', onTimeout);
            this.removeEventListener('abort', onAbort);
            this.removeEventListener('loadend', onEnd);
            if (aborted) return;
            if (this.status >= 400) report(request.url, request.method, this.status, startTime, 'xmlhttprequest');
            else if (this.status === 0) report(request.url, request.method, 0, startTime, 'xmlhttprequest', failure ?? 'network error');
          };
          this.addEventListener('error', onError);
          this.addEventListener('timeout', onTimeout);
          this.addEventListener('abort', onAbort);
          this.addEventListener('loadend', onEnd);
        }
      } catch {
        // ignore
      }
      return originalSend.call(this, body);
    };
    undo.push(() => {
      xhrProto.open = originalOpen;
      xhrProto.send = originalSend;
    });
  }
  return () => undo.forEach((u) => u());
}

/**
 * The error as text, with every URL in it cut like request URLs: browsers quote the whole URL in
 * some messages (Safari: "Fetch API cannot load https://…?token=… due to access control checks").
 */
export function errorText(error: unknown, base: string): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\b[a-z][a-z\d+.-]*:\/\/[^\s'"<>]+/gi, (url) => stripUrl(url, base) ?? '[url]').slice(0, 500);
}
