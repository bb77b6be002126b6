// Table-driven tests for what the player does to recordings before rrweb plays them:
// URL confinement (recorded-urls.ts, css-urls.ts) and event shapes (playable.ts).
// Run: `node --import tsx --test web/test/recorded-urls.test.ts`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RecordedEvent } from '../src/api';
import { rewriteCssUrls } from '../src/player/css-urls';
import { playableEvents } from '../src/player/playable';
import { confineRecordedUrls, rewriteSrcset } from '../src/player/recorded-urls';
import { describeFailure } from '../src/player/replayer-safety';

const REEL = { origin: 'https://reel.test', hostname: 'reel.test' };
const PAGE = 'https://shop.test/dir/page.html';

function check<I, O>(cases: [I, O][], fn: (input: I) => O): void {
  for (const [input, expected] of cases) assert.deepEqual(fn(input), expected, `input: ${JSON.stringify(input)}`);
}

/** Every URL the CSS rewriter finds, with the declaration it is in; the CSS is left as is. */
function urlsIn(css: string): string[] {
  const found: string[] = [];
  rewriteCssUrls(css, (url, property) => {
    found.push(property ? `${property}=${url}` : url);
    return url;
  });
  return found;
}

test('rewriteCssUrls finds the URLs a browser would fetch, and only those', () => {
  check(
    [
      ['a { background: url(x.png) }', ['background=x.png']],
      ['a{background:URL( "x y.png" )}', ['background=x y.png']],
      ["a{background-image:url('q\\'s.png')}", ["background-image=q's.png"]],
      ['a{b:u\\72l(esc.png)}', ['b=esc.png']], // an escaped "url" is still url(
      ['a{b:url(\\2f api\\2f me)}', ['b=/api/me']], // escapes inside the URL are decoded
      ['a{b:url(a\0b)}', ['b=a\ufffdb']], // NUL becomes U+FFFD, as in the browser
      ['@import "imp.css"; @import url(imp2.css) screen;', ['imp.css', 'imp2.css']],
      ['@font-face{font-family:f;src:local("Arial"),url(f.woff2) format("woff2")}', ['src=f.woff2']],
      ['a{b:image-set("1x.png" 1x, url(2x.png) 2x, "3x.avif" type("image/avif") 3x)}', ['b=1x.png', 'b=2x.png', 'b=3x.avif']],
      ['a{b:-webkit-image-set("w.png" 1x)}', ['b=w.png']],
      ['a{content:"url(not-a-url)"} /* url(comment) */ b{c:my-url(nope)}', []],
      ['#url(x) {} a{b:10url(y)}', []], // a hash, and a dimension whose unit is "url", are not url(
      ['a{b:url(bad"url)} c{d:url(ok)}', ['d=ok']], // a bad url fetches nothing
      ['a{b:url(  spaced.png  )}', ['b=spaced.png']],
      ['a{fill:url(#grad)} b{--x: url(var.png)}', ['fill=#grad', '--x=var.png']],
    ],
    urlsIn,
  );
});

test('rewriteCssUrls replaces URLs, quotes them safely and keeps everything else byte for byte', () => {
  const rewrite = (url: string): string | null => (url.startsWith('drop') ? null : url.startsWith('keep') ? url : `https://x.test/${url}`);
  check(
    [
      ['a{b:url(p.png)} /* rr_split */ c{d:e}', 'a{b:url("https://x.test/p.png")} /* rr_split */ c{d:e}'],
      ['a{b:url("drop.png")}', 'a{b:url("")}'],
      ['a{b:url(keep.png)}', 'a{b:url(keep.png)}'],
      ['@import "q.css";', '@import "https://x.test/q.css";'],
      ['a{b:url("q\\"\\a .png")}', 'a{b:url("https://x.test/q\\"\\a .png")}'],
      ['a{b:image-set(var(--img) 1x)}', 'a{b:image-set(reel-blocked(--img) 1x)}'], // a value only known later
      ['a{b:image-set(linear-gradient(red, var(--c)) 1x)}', 'a{b:image-set(linear-gradient(red, var(--c)) 1x)}'],
    ],
    (css) => rewriteCssUrls(css, rewrite),
  );
});

test('rewriteSrcset rewrites each candidate and keeps descriptors', () => {
  const rewrite = (url: string): string | null => (url.includes('drop') ? null : `<${url}>`);
  check(
    [
      ['a.png 1x, b.png 2x', '<a.png> 1x, <b.png> 2x'],
      ['a.png,b.png', '<a.png,b.png>'], // one URL: only a comma after whitespace or at its end separates
      ['data:image/png;base64,AA== 1x,  c.png 480w', '<data:image/png;base64,AA==> 1x, <c.png> 480w'],
      ['drop.png 1x, keep.png 2x', '<keep.png> 2x'],
      ['drop.png', null],
      [' , ', null],
    ],
    (srcset) => rewriteSrcset(srcset, rewrite),
  );
});

/** A recording: Meta (when `href` is given), then a full snapshot of `body` children. */
function recording(href: string | null, ...body: object[]): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  if (href !== null) events.push({ type: 4, timestamp: 1, data: { href, width: 800, height: 600 } });
  let id = 10;
  const number = (node: object): object => {
    const numbered: Record<string, unknown> = { ...node, id: id++ };
    if (Array.isArray(numbered.childNodes)) numbered.childNodes = (numbered.childNodes as object[]).map(number);
    return numbered;
  };
  const root = {
    type: 0,
    id: 1,
    childNodes: [{ type: 2, id: 2, tagName: 'html', attributes: {}, childNodes: [{ type: 2, id: 3, tagName: 'body', attributes: {}, childNodes: body.map(number) }] }],
  };
  events.push({ type: 2, timestamp: 2, data: { node: root, initialOffset: { top: 0, left: 0 } } });
  return events;
}

function el(tagName: string, attributes: Record<string, string>, ...childNodes: object[]): object {
  return { type: 2, tagName, attributes, childNodes };
}

function bodyOf(events: RecordedEvent[]): Array<Record<string, any>> {
  const snapshot = events.find((event) => event.type === 2)!.data as any;
  return snapshot.node.childNodes[0].childNodes[0].childNodes;
}

function confinedAttributes(href: string | null, tagName: string, attributes: Record<string, string>, isSVG = false): Record<string, unknown> {
  const events = recording(href, { ...el(tagName, attributes), ...(isSVG ? { isSVG: true } : {}) });
  confineRecordedUrls(events, REEL);
  return bodyOf(events)[0]!.attributes;
}

test('confineRecordedUrls resolves against the recorded page and keeps reel out', () => {
  check(
    [
      [['img', { src: 'x.png' }], { src: 'https://shop.test/dir/x.png' }],
      [['img', { src: '/api/v1/me' }], { src: 'https://shop.test/api/v1/me' }],
      [['img', { src: '//reel.test/api/v1/me' }], {}], // protocol-relative, to reel
      [['img', { src: 'https://reel.test:8443/x' }], {}], // reel's host on another port still gets its cookie
      [['img', { src: 'https://REEL.test./x' }], { src: 'https://reel.test./x' }], // a different host for cookies
      [['img', { src: 'https://reel.test/demo/product.svg' }], { src: 'https://reel.test/demo/product.svg' }],
      [['img', { src: 'http://reel.test/demo/product.svg' }], {}], // the demo exception is for reel's origin only
      [['img', { src: 'data:image/gif;base64,R0lG' }], { src: 'data:image/gif;base64,R0lG' }],
      [['img', { src: 'javascript:alert(1)' }], {}],
      [['img', { src: '#frag' }], { src: 'https://shop.test/dir/page.html#frag' }], // would fetch the document
      [['img', { srcset: 'a.png 1x, https://reel.test/b.png 2x' }], { srcset: 'https://shop.test/dir/a.png 1x' }],
      [['img', { src: 'x.png', referrerpolicy: 'unsafe-url' }], { src: 'https://shop.test/dir/x.png', referrerpolicy: 'no-referrer' }],
      [['canvas', { rr_dataURL: 'c.png' }], { rr_dataURL: 'https://shop.test/dir/c.png' }],
      [['video', { poster: 'p.png', src: 'v.mp4' }], { poster: 'https://shop.test/dir/p.png', src: 'https://shop.test/dir/v.mp4' }],
      [['link', { rel: 'stylesheet', href: 'style.css' }], { rel: 'stylesheet', href: 'https://shop.test/dir/style.css' }],
      [['a', { href: 'next.html' }], { href: 'https://shop.test/dir/next.html' }],
      [['a', { href: 'https://reel.test/api/v1/me' }], { href: 'https://reel.test/api/v1/me' }], // a link is never followed
      [['a', { href: '#top' }], { href: '#top' }],
      [['form', { action: '/buy' }], { action: 'https://shop.test/buy' }],
      [['div', { style: 'background:url(bg.png)' }], { style: 'background:url("https://shop.test/dir/bg.png")' }],
      [['iframe', { src: 'https://reel.test/replays', srcdoc: '<img src=x>' }], {}],
      [['object', { data: 'movie.swf' }], {}],
      [['meta', { 'http-equiv': 'refresh', content: '0;url=/api' }], { 'reel-neutralized-http-equiv': 'refresh', content: '0;url=/api' }],
      [['meta', { name: 'referrer', content: 'unsafe-url' }], { 'reel-neutralized-name': 'referrer', content: 'unsafe-url' }],
      [['style', { _cssText: '.a{background:url(a.png)}' }], { _cssText: '.a{background:url("https://shop.test/dir/a.png")}' }],
    ] as [[string, Record<string, string>], Record<string, unknown>][],
    ([tag, attributes]) => confinedAttributes(PAGE, tag, attributes),
  );
});

test('confineRecordedUrls keeps same-document SVG references', () => {
  assert.deepEqual(confinedAttributes(PAGE, 'use', { href: '#icon' }, true), { href: '#icon' });
  assert.deepEqual(confinedAttributes(PAGE, 'image', { href: 'i.png' }, true), { href: 'https://shop.test/dir/i.png' });
  assert.deepEqual(confinedAttributes(PAGE, 'path', { fill: 'url(#g)', style: 'clip-path:url(#c);cursor:url(#k),auto' }, true), {
    fill: 'url(#g)',
    style: 'clip-path:url(#c);cursor:url("https://shop.test/dir/page.html#k"),auto',
  });
});

test('without an http(s) page URL relative URLs are dropped, absolute ones kept', () => {
  for (const href of [null, 'about:blank', '', 'not a url']) {
    assert.deepEqual(confinedAttributes(href, 'img', { src: 'x.png', srcset: 'https://cdn.test/y.png 1x' }), { srcset: 'https://cdn.test/y.png 1x' }, `href ${href}`);
    assert.deepEqual(confinedAttributes(href, 'div', { style: 'background:url(x.png)' }), { style: 'background:url("")' });
  }
});

test('confineRecordedUrls follows navigation, mutations, style text and style sheet events', () => {
  const events: RecordedEvent[] = [
    ...recording(PAGE, el('style', {}, { type: 3, textContent: '.a{background:url(a.png)}' }), el('div', {})),
    { type: 3, timestamp: 3, data: { source: 0, texts: [{ id: 11, value: '.b{background:url(b.png)}' }], removes: [], adds: [
      { parentId: 12, nextId: null, node: { type: 2, id: 20, tagName: 'img', attributes: { src: 'added.png' }, childNodes: [] } },
    ], attributes: [
      { id: 20, attributes: { srcset: 'set.png 2x', style: { 'background-image': 'url(diff.png)', color: ['red', 'important'] } } },
      { id: 998, attributes: { 'http-equiv': 'refresh' } }, // an unknown node may be a <meta>
      { id: 10, attributes: { _cssText: '.c{background:url(c.png)}' } },
      { id: 999, attributes: { src: '/unknown.png', srcdoc: '<b>' } },
    ] } },
    { type: 4, timestamp: 4, data: { href: 'https://other.test/a/b/', width: 800, height: 600 } },
    { type: 3, timestamp: 5, data: { source: 8, id: 10, adds: [{ rule: '.d{background:url(d.png)}', index: 0 }] } },
    { type: 3, timestamp: 6, data: { source: 13, id: 10, set: { property: 'background', value: 'url(e.png)' }, index: [0] } },
    { type: 3, timestamp: 7, data: { source: 15, id: 1, styleIds: [1], styles: [{ styleId: 1, rules: [{ rule: '.f{background:url(f.png)}' }] }] } },
    { type: 3, timestamp: 8, data: { source: 10, family: 'F', fontSource: 'url(font.woff2)', buffer: false, descriptors: {} } },
  ];
  confineRecordedUrls(events, REEL);
  const [style] = bodyOf(events);
  assert.equal(style!.childNodes[0].textContent, '.a{background:url("https://shop.test/dir/a.png")}');
  const mutation = events[2]!.data as any;
  assert.equal(mutation.texts[0].value, '.b{background:url("https://shop.test/dir/b.png")}');
  assert.equal(mutation.adds[0].node.attributes.src, 'https://shop.test/dir/added.png');
  assert.deepEqual(mutation.attributes[0].attributes, {
    srcset: 'https://shop.test/dir/set.png 2x',
    style: { 'background-image': 'url("https://shop.test/dir/diff.png")', color: ['red', 'important'] },
  });
  assert.deepEqual(mutation.attributes[1].attributes, { 'http-equiv': null, 'reel-neutralized-http-equiv': 'refresh' });
  assert.deepEqual(mutation.attributes[2].attributes, { _cssText: '.c{background:url("https://shop.test/dir/c.png")}' });
  assert.deepEqual(mutation.attributes[3].attributes, { src: 'https://shop.test/unknown.png', srcdoc: null });
  const after = events.slice(4).map((event) => JSON.stringify(event.data));
  for (const [i, name] of ['d.png', 'e.png', 'f.png', 'font.woff2'].entries()) {
    assert.ok(after[i]!.includes(`https://other.test/a/b/${name}`), `${name} resolved against the page after navigation: ${after[i]}`);
  }
});

test('confineRecordedUrls walks snapshots deeper than the call stack', () => {
  let node: object = { type: 2, tagName: 'img', attributes: { src: 'deep.png' }, childNodes: [] };
  for (let i = 0; i < 200_000; i++) node = { type: 2, tagName: 'div', attributes: {}, childNodes: [node] };
  const events: RecordedEvent[] = [
    { type: 4, timestamp: 1, data: { href: PAGE } },
    { type: 2, timestamp: 2, data: { node: { type: 0, childNodes: [node] } } },
  ];
  confineRecordedUrls(events, REEL);
  let deepest: any = (events[1]!.data as any).node.childNodes[0];
  while (deepest.childNodes.length > 0) deepest = deepest.childNodes[0];
  assert.equal(deepest.attributes.src, 'https://shop.test/dir/deep.png');
});

test('confineRecordedUrls tolerates events of any shape', () => {
  const junk = [null, 1, 'x', [], { node: null }, { node: { type: 2, attributes: null, childNodes: 5 } }, { source: 0, adds: 'x', attributes: [null], texts: {} }];
  const events = junk.flatMap((data, i) => [2, 3, 4].map((type) => ({ type, timestamp: i, data }) as RecordedEvent));
  assert.doesNotThrow(() => confineRecordedUrls(events, REEL));
});

test('playableEvents fixes or leaves out what rrweb would trip over', () => {
  const events = [
    { type: 2, timestamp: 1, data: { node: {}, initialOffset: 5 } },
    { type: 3, timestamp: 2, data: { source: 1, positions: null } },
    { type: 3, timestamp: 3, data: { source: 1, positions: [null, { x: 1, y: 2, id: 3, timeOffset: 0 }] } },
    { type: 3, timestamp: 4, data: { source: 12, positions: [{ x: 1 }] } },
    { type: 3, timestamp: 5, data: { source: 2, type: 99, id: 1 } },
  ] as RecordedEvent[];
  assert.deepEqual(playableEvents(events), [
    { type: 2, timestamp: 1, data: { node: {}, initialOffset: { top: 0, left: 0 } } },
    { type: 3, timestamp: 3, data: { source: 1, positions: [{ x: 1, y: 2, id: 3, timeOffset: 0 }] } },
    { type: 3, timestamp: 5, data: { source: 2, type: 99, id: 1 } },
  ]);
});

test('describeFailure gives a short reason', () => {
  assert.equal(describeFailure(new RangeError('Maximum call stack size exceeded'), 'snapshot'), 'The page is nested too deeply to rebuild.');
  assert.equal(describeFailure(new TypeError('x is not iterable'), 'snapshot'), 'The page snapshot could not be rebuilt (TypeError: x is not iterable).');
  assert.equal(
    describeFailure({ name: 'NotFoundError', message: 'gone' }, 'update'),
    'A change to the page could not be applied, so it may be incomplete (NotFoundError: gone).',
  );
  assert.ok(describeFailure(new Error('x'.repeat(500)), 'update').length < 260);
});
