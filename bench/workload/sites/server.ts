// A throw-away HTTP server for the workload sites on 127.0.0.1 (port 0 by default): the three
// generated sites, their client scripts, and the npm packages' files they use under /vendor/.

import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { adminPage } from './admin.ts';
import { DOCS_SLUGS, docsPage } from './docs.ts';
import { shopPage } from './shop.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const resolveFrom = createRequire(import.meta.url);
/** Packages whose files the sites may load, by their npm name. */
const VENDOR = ['bootstrap', 'bootstrap-icons', '@primer/css', '@primer/primitives', 'highlight.js', 'bulma'];
const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.html': 'text/html; charset=utf-8',
};

function packageRoot(name: string): string {
  return dirname(resolveFrom.resolve(`${name}/package.json`));
}

export interface SiteServer {
  origin: string;
  close(): Promise<void>;
}

export async function startSites(port = 0): Promise<SiteServer> {
  const pages = new Map<string, string | null>();
  const render = (path: string): string | null => {
    if (!pages.has(path)) {
      const [, site, page] = /^\/(admin|docs|shop)\/([\w.-]+)$/.exec(path) ?? [];
      let html: string | null = null;
      if (site === 'admin' && page) html = adminPage(page);
      if (site === 'shop' && page) html = shopPage(page);
      if (site === 'docs' && page?.endsWith('.html')) html = docsPage(page.slice(0, -5));
      pages.set(path, html);
    }
    return pages.get(path) ?? null;
  };
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const send = (status: number, type: string, body: string | Buffer): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const api: Record<string, number> = { '/api/admin/export': 500, '/api/docs/feedback': 204, '/api/shop/coupon': 404, '/api/shop/orders': 503 };
    if (path in api) return send(api[path] as number, 'application/json', api[path] === 204 ? '' : '{"error":"unavailable"}');
    const html = render(path);
    if (html !== null) return send(200, TYPES['.html'] as string, html);
    let file: string | null = null;
    const site = /^\/sites\/(admin|docs|shop)\.js$/.exec(path);
    if (site) file = join(HERE, `${site[1]}.js`);
    const vendor = VENDOR.find((name) => path.startsWith(`/vendor/${name}/`));
    if (vendor) {
      const root = packageRoot(vendor);
      const candidate = normalize(join(root, path.slice(`/vendor/${vendor}/`.length)));
      if (candidate.startsWith(`${root}/`)) file = candidate;
    }
    if (!file) return send(404, 'text/plain', 'not found');
    readFile(file).then(
      (body) => send(200, TYPES[extname(file)] ?? 'application/octet-stream', body),
      () => send(404, 'text/plain', 'not found'),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// `node --import tsx bench/workload/sites/server.ts [port]` serves the sites for a look by hand.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  startSites(Number(process.argv[2] ?? 0)).then((sites) =>
    console.log(`${sites.origin}/admin/index.html  ${sites.origin}/docs/${DOCS_SLUGS[0]}.html  ${sites.origin}/shop/index.html`),
  );
}
