// "Corvid Docs": a documentation site on GitHub's Primer CSS (core, utilities, markdown, product
// stylesheets, with the light theme and size tokens of @primer/primitives) plus the bootstrap-icons font CSS, with articles whose code blocks are highlighted
// by highlight.js at build time (as static-site generators do) in its GitHub theme, a sidebar of
// ~340 links, an "On this page" outline, and a search box that filters the sidebar live (docs.js).

import hljs from 'highlight.js/lib/common';
import { Rng } from '../../../testkit/prng.ts';
import { escapeHtml, identifier, paragraph, sentence, title, word, words } from '../sample-text.ts';

interface NavSection {
  name: string;
  pages: Array<{ slug: string; title: string }>;
}

/** The sidebar: 19 sections of 12–24 pages, the same on every page. */
export const DOCS_NAV: NavSection[] = (() => {
  const rng = new Rng('docs-nav');
  const names = ['Getting started', 'Installation', 'Configuration', 'Concepts', 'Guides', 'Recipes', 'CLI reference', 'HTTP API', 'SDK: JavaScript', 'SDK: Python', 'SDK: Rust', 'Storage', 'Security', 'Operations', 'Monitoring', 'Integrations', 'Migration', 'Troubleshooting', 'Release notes'];
  const seen = new Set<string>();
  return names.map((name) => {
    const pages = [];
    const n = rng.int(12, 24);
    for (let i = 0; i < n; i++) {
      const t = title(rng, 2, 5);
      let slug = `${name}-${t}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
      while (seen.has(slug)) slug += '-2';
      seen.add(slug);
      pages.push({ slug, title: t });
    }
    return { name, pages };
  });
})();

export const DOCS_SLUGS = DOCS_NAV.flatMap((s) => s.pages.map((p) => p.slug));

function code(rng: Rng): { lang: string; text: string } {
  const lang = rng.pick(['javascript', 'typescript', 'rust', 'python', 'bash', 'json', 'yaml', 'javascript', 'typescript', 'rust']);
  const lines: string[] = [];
  const n = rng.int(6, 28);
  const id = (): string => identifier(rng);
  const str = (): string => words(rng, 1, 4);
  switch (lang) {
    case 'javascript':
    case 'typescript': {
      const ts = lang === 'typescript';
      lines.push(`import { ${id()}, ${id()} } from '@corvid/${word(rng)}';`, '');
      lines.push(`export async function ${id()}(${ts ? `options: ${title(rng, 1, 2).replace(/ /g, '')}Options` : 'options'}) {`);
      for (let i = 0; i < n; i++) {
        const v = id();
        lines.push(
          rng.pick([
            `  const ${v} = await client.${id()}({ timeout: ${rng.int(1, 60) * 1000}, retries: ${rng.int(0, 5)} });`,
            `  if (!${v}) throw new Error('${str()}');`,
            `  // ${sentence(rng)}`,
            `  for (const ${v} of options.${id()}) console.log(\`${str()}: \${${v}.id}\`);`,
            `  options.${id()} = ${rng.int(0, 9999)}${ts ? ' as number' : ''};`,
            `  return { ${v}, status: '${word(rng)}', ok: ${rng.chance(0.5)} };`,
          ]),
        );
      }
      lines.push('}');
      break;
    }
    case 'rust':
      lines.push(`use corvid::{${id()}, Client};`, '', `pub fn ${identifier(rng, 'snake')}(client: &Client) -> anyhow::Result<()> {`);
      for (let i = 0; i < n; i++) {
        const v = identifier(rng, 'snake');
        lines.push(
          rng.pick([
            `    let ${v} = client.${identifier(rng, 'snake')}(${rng.int(0, 4096)})?;`,
            `    // ${sentence(rng)}`,
            `    if ${v}.is_empty() { return Err(anyhow::anyhow!("${str()}")); }`,
            `    for item in ${v}.iter().filter(|x| x.${identifier(rng, 'snake')} > ${rng.int(0, 99)}) { println!("{item:?}"); }`,
            `    let ${v}: Vec<u64> = (0..${rng.int(2, 64)}).map(|i| i * ${rng.int(2, 9)}).collect();`,
          ]),
        );
      }
      lines.push('    Ok(())', '}');
      break;
    case 'python':
      lines.push(`from corvid import ${identifier(rng, 'snake')}, Client`, '', `def ${identifier(rng, 'snake')}(client: Client, limit: int = ${rng.int(1, 500)}) -> dict:`);
      for (let i = 0; i < n; i++) {
        const v = identifier(rng, 'snake');
        lines.push(
          rng.pick([
            `    ${v} = client.${identifier(rng, 'snake')}(timeout=${rng.int(1, 60)})`,
            `    # ${sentence(rng)}`,
            `    if not ${v}:\n        raise ValueError("${str()}")`,
            `    ${v} = [x for x in range(limit) if x % ${rng.int(2, 9)} == 0]`,
            `    print(f"${str()}: {${v}!r}")`,
          ]),
        );
      }
      lines.push('    return {"ok": True}');
      break;
    case 'bash':
      for (let i = 0; i < n; i++) {
        lines.push(
          rng.pick([
            `corvid ${word(rng)} --${word(rng)}=${rng.int(1, 100)} --${word(rng)} ./${word(rng)}.toml`,
            `export CORVID_${word(rng).toUpperCase()}=${word(rng)}`,
            `# ${sentence(rng)}`,
            `curl -sS -H "Authorization: Bearer $TOKEN" http://localhost:8080/api/v1/${word(rng)}s | jq '.[] | .${word(rng)}'`,
            `if [ -f "$HOME/.corvid/${word(rng)}" ]; then echo "${str()}"; fi`,
          ]),
        );
      }
      break;
    case 'json': {
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) obj[identifier(rng)] = rng.pick<unknown>([rng.int(0, 10_000), str(), rng.chance(0.5), [rng.int(0, 9), rng.int(0, 9)], { [word(rng)]: str() }]);
      lines.push(JSON.stringify(obj, null, 2));
      break;
    }
    default:
      for (let i = 0; i < n; i++) {
        lines.push(rng.pick([`${identifier(rng, 'snake')}: ${rng.int(0, 9999)}`, `${identifier(rng, 'snake')}:\n  - ${str()}\n  - ${str()}`, `# ${sentence(rng)}`, `${identifier(rng, 'snake')}: "${str()}"`, `${identifier(rng, 'snake')}: ${rng.chance(0.5)}`]));
      }
  }
  return { lang, text: lines.join('\n') };
}

function codeBlock(rng: Rng): string {
  const { lang, text } = code(rng);
  const html = hljs.highlight(text, { language: lang }).value;
  return `<div class="code-block position-relative my-3"><div class="d-flex flex-justify-between flex-items-center px-3 py-1 color-bg-subtle border rounded-top-2"><span class="text-small color-fg-muted">${lang}</span><button class="btn-octicon copy-btn" type="button" aria-label="Copy"><i class="bi bi-clipboard"></i></button></div><pre class="m-0 border border-top-0 rounded-bottom-2"><code class="hljs language-${lang}">${html}</code></pre></div>`;
}

function article(slug: string): { title: string; html: string; outline: Array<[string, string]> } {
  const rng = new Rng(`docs-article-${slug}`);
  const entry = DOCS_NAV.flatMap((s) => s.pages).find((p) => p.slug === slug);
  const outline: Array<[string, string]> = [];
  const parts: string[] = [`<p class="f3-light color-fg-muted">${escapeHtml(paragraph(rng, 2, 3))}</p>`];
  const sections = rng.int(8, 14);
  for (let s = 0; s < sections; s++) {
    const h = title(rng, 2, 6);
    const anchor = `${s}-${h.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
    outline.push([anchor, h]);
    parts.push(`<h2 id="${anchor}"><a class="anchor" href="#${anchor}" aria-hidden="true"><i class="bi bi-link-45deg"></i></a>${escapeHtml(h)}</h2>`);
    const blocks = rng.int(3, 7);
    for (let b = 0; b < blocks; b++) {
      const kind = rng.pick(['p', 'p', 'p', 'code', 'code', 'list', 'table', 'note', 'h3']);
      if (kind === 'p') parts.push(`<p>${escapeHtml(paragraph(rng)).replace(/\b(config|session|token|index)\b/, '<code>$1</code>')}</p>`);
      else if (kind === 'code') parts.push(codeBlock(rng));
      else if (kind === 'list') parts.push(`<ul>${Array.from({ length: rng.int(3, 8) }, () => `<li>${escapeHtml(sentence(rng))}</li>`).join('')}</ul>`);
      else if (kind === 'h3') parts.push(`<h3>${escapeHtml(title(rng, 2, 5))}</h3><p>${escapeHtml(paragraph(rng, 1, 3))}</p>`);
      else if (kind === 'note') parts.push(`<div class="flash flash-${rng.pick(['warn', 'success', 'error', ''])} my-3"><i class="bi bi-info-circle mr-2"></i>${escapeHtml(paragraph(rng, 1, 2))}</div>`);
      else
        parts.push(
          `<table><thead><tr><th>Option</th><th>Type</th><th>Default</th><th>Description</th></tr></thead><tbody>${Array.from(
            { length: rng.int(4, 12) },
            () => `<tr><td><code>${identifier(rng)}</code></td><td><code>${rng.pick(['string', 'number', 'boolean', 'string[]', 'Duration'])}</code></td><td><code>${rng.int(0, 999)}</code></td><td>${escapeHtml(sentence(rng))}</td></tr>`,
          ).join('')}</tbody></table>`,
        );
    }
  }
  return { title: entry?.title ?? slug, html: parts.join('\n'), outline };
}

export function docsPage(slug: string): string | null {
  if (!DOCS_SLUGS.includes(slug)) return null;
  const { title: heading, html, outline } = article(slug);
  const section = DOCS_NAV.find((s) => s.pages.some((p) => p.slug === slug));
  const sidebar = DOCS_NAV.map(
    (s, i) => `<details class="nav-section mb-2" ${s === section || i < 2 ? 'open' : ''}><summary class="text-bold f6 py-1 px-2">${escapeHtml(s.name)}</summary><ul class="list-style-none">${s.pages
      .map((p) => `<li><a class="d-block px-3 py-1 f6 rounded-2 ${p.slug === slug ? 'color-bg-accent text-bold' : 'color-fg-default'}" href="/docs/${p.slug}.html">${escapeHtml(p.title)}</a></li>`)
      .join('')}</ul></details>`,
  ).join('\n');
  const crumbs = `<nav aria-label="Breadcrumb" class="f6 mb-2"><a href="/docs/${DOCS_SLUGS[0]}.html">Docs</a> / <a href="#">${escapeHtml(section?.name ?? '')}</a> / <span class="color-fg-muted">${escapeHtml(heading)}</span></nav>`;
  return `<!doctype html>
<html lang="en" data-color-mode="light" data-light-theme="light">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(heading)} · Corvid Docs</title>
<link rel="stylesheet" href="/vendor/@primer/primitives/dist/css/base/size/size.css">
<link rel="stylesheet" href="/vendor/@primer/primitives/dist/css/base/typography/typography.css">
<link rel="stylesheet" href="/vendor/@primer/primitives/dist/css/functional/size/size.css">
<link rel="stylesheet" href="/vendor/@primer/primitives/dist/css/functional/size/border.css">
<link rel="stylesheet" href="/vendor/@primer/primitives/dist/css/functional/size/radius.css">
<link rel="stylesheet" href="/vendor/@primer/primitives/dist/css/functional/spacing/space.css">
<link rel="stylesheet" href="/vendor/@primer/primitives/dist/css/functional/typography/typography.css">
<link rel="stylesheet" href="/vendor/@primer/primitives/dist/css/functional/themes/light.css">
<link rel="stylesheet" href="/vendor/@primer/css/dist/core.css">
<link rel="stylesheet" href="/vendor/@primer/css/dist/utilities.css">
<link rel="stylesheet" href="/vendor/@primer/css/dist/product.css">
<link rel="stylesheet" href="/vendor/@primer/css/dist/markdown.css">
<link rel="stylesheet" href="/vendor/bootstrap-icons/font/bootstrap-icons.css">
<link rel="stylesheet" href="/vendor/highlight.js/styles/github.css">
<style>
  body { font-size: 15px; }
  .docs-sidebar { width: 300px; height: calc(100vh - 64px); overflow-y: auto; position: sticky; top: 64px; }
  .docs-outline { width: 240px; position: sticky; top: 80px; max-height: calc(100vh - 96px); overflow-y: auto; }
  .nav-section summary { cursor: pointer; list-style: none; }
  pre code.hljs { padding: 12px 16px; font-size: 13px; line-height: 1.45; }
  .anchor { margin-left: -20px; padding-right: 4px; visibility: hidden; }
  h2:hover .anchor { visibility: visible; }
  .copy-btn.copied::after { content: " Copied!"; font-size: 12px; }
</style>
</head>
<body>
<header class="Header py-2 px-4 d-flex flex-items-center position-sticky top-0" style="z-index: 10; height: 64px">
  <a class="Header-link f4 d-flex flex-items-center mr-4" href="/docs/${DOCS_SLUGS[0]}.html"><i class="bi bi-feather mr-2"></i>Corvid Docs</a>
  <div class="Header-item Header-item--full"><input class="form-control input-dark" style="width: 360px" type="search" id="docs-search" placeholder="Search documentation…" autocomplete="off"></div>
  <div class="Header-item mr-0"><a class="Header-link" href="#">v4.2</a></div>
</header>
<div class="d-flex">
  <nav class="docs-sidebar border-right p-3 color-bg-subtle" id="sidebar" aria-label="Documentation">
    <p class="f6 color-fg-muted mb-2" id="search-count"></p>
    ${sidebar}
  </nav>
  <main class="flex-1 px-6 py-4" style="min-width: 0">
    ${crumbs}
    <article class="markdown-body" style="max-width: 860px">
      <h1>${escapeHtml(heading)}</h1>
      ${html}
      <div class="border-top mt-6 pt-3 d-flex flex-justify-between f6"><span>Was this page helpful? <button class="btn btn-sm feedback" data-v="yes">Yes</button> <button class="btn btn-sm feedback" data-v="no">No</button></span><a href="#">Edit this page</a></div>
    </article>
  </main>
  <aside class="docs-outline p-3 d-none d-xl-block"><h5 class="mb-2">On this page</h5><ul class="list-style-none f6">${outline.map(([a, t]) => `<li class="py-1"><a class="color-fg-muted" href="#${a}">${escapeHtml(t)}</a></li>`).join('')}</ul></aside>
</div>
<script src="/sites/docs.js"></script>
</body>
</html>`;
}
