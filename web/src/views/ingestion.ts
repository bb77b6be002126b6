// /ingestion — the Ingestion Monitor (managers and admins): what the project's SDKs sent over
// the last 24 hours, per minute, accepted, throttled and rejected (by reason), as a chart of
// requests, events or bytes, with the totals. A spike of throttled requests says why parts of
// sessions are missing.

import { h, replaceChildren } from '../dom';
import { formatBytes } from '../format';
import type { ViewContext } from '../router';
import { getIngestion, type IngestionMonitor } from '../team-api';
import { card, settingsPage } from './settings-page';

type Measure = 'requests' | 'events' | 'bytes';
const OUTCOMES = ['accepted', 'throttled', 'rejected'] as const;
const MINUTES = 24 * 60;

export function ingestionView(ctx: ViewContext): void {
  settingsPage(ctx, 'ingestion', 'Ingestion Monitor', 'What your SDKs sent in the last 24 hours, per minute.', async ({ project, body, signal }) => {
    const monitor = await getIngestion(project.id, signal);
    if (signal.aborted) return;
    const chartHost = h('div', { class: 'usage-chart-host' });
    const measures: Measure[] = ['requests', 'events', 'bytes'];
    const buttons = measures.map((m) =>
      h('button', { type: 'button', class: `segment${m === 'requests' ? ' active' : ''}`, 'data-testid': `measure-${m}`, onclick: () => pick(m) }, m));
    const pick = (m: Measure): void => {
      buttons.forEach((b) => b.classList.toggle('active', b.textContent === m));
      replaceChildren(chartHost, chart(monitor, m));
    };
    pick('requests');
    replaceChildren(body,
      card('Per minute', null,
        h('div', { class: 'segmented' }, ...buttons),
        h('div', { class: 'usage-chart-legend' }, ...OUTCOMES.map((o) => h('span', { class: `legend legend-${o}` }, o))),
        chartHost),
      card('Totals of the last 24 hours', 'Rejected requests by reason: invalid_request (not the wire format), too_large, over_quota (the monthly quota), busy (memory budget spent; SDKs retry), timeout, error.',
        totals(monitor)));
  });
}

/** Stacked bars, one per minute with requests, over the 24 hours up to now; the scale is the busiest minute. */
function chart(monitor: IngestionMonitor, measure: Measure): Element {
  const since = Date.parse(monitor.since);
  const width = MINUTES;
  const height = 160;
  const max = Math.max(1, ...monitor.minutes.map((m) => OUTCOMES.reduce((sum, o) => sum + m[o][measure], 0)));
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', class: 'usage-chart', role: 'img', 'aria-label': `${measure} per minute`, 'data-testid': 'ingestion-chart' });
  const labels = h('div', { class: 'usage-chart-axis' });
  for (let hour = 0; hour <= 24; hour += 3) {
    const x = hour * 60;
    svg.append(svgEl('line', { x1: x, x2: x, y1: 0, y2: height, class: 'usage-chart-grid' }));
    labels.append(h('span', {}, new Date(since + hour * 3_600_000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })));
  }
  for (const minute of monitor.minutes) {
    const x = Math.floor((Date.parse(minute.minute) - since) / 60_000);
    let y = height;
    const parts: string[] = [];
    for (const outcome of OUTCOMES) {
      const value = minute[outcome][measure];
      parts.push(`${outcome} ${measure === 'bytes' ? formatBytes(value) : value}`);
      if (value === 0) continue;
      const barHeight = (value / max) * height;
      y -= barHeight;
      svg.append(svgEl('rect', { x, y, width: 1, height: barHeight, class: `bar bar-${outcome}`, 'data-testid': `bar-${outcome}` }));
    }
    const title = svgEl('title', {}, `${new Date(minute.minute).toLocaleTimeString()}: ${parts.join(', ')}`);
    svg.append(svgEl('rect', { x, y: 0, width: 1, height, class: 'bar-hover' }, title));
  }
  const top = measure === 'bytes' ? formatBytes(max) : String(max);
  return h('div', { class: 'usage-chart-frame' }, h('span', { class: 'usage-chart-max muted' }, `max ${top} a minute`), svg, labels);
}

function totals(monitor: IngestionMonitor): HTMLElement {
  if (monitor.totals.length === 0) return h('p', { class: 'muted', 'data-testid': 'ingestion-empty' }, 'Nothing arrived in the last 24 hours.');
  return h('table', { class: 'data-table', 'data-testid': 'ingestion-totals' },
    h('thead', {}, h('tr', {}, ...['Outcome', 'Reason', 'Requests', 'Events', 'Bytes'].map((t) => h('th', {}, t)))),
    h('tbody', {}, ...monitor.totals.map((t) =>
      h('tr', { 'data-testid': `total-${t.outcome}` },
        h('td', {}, t.outcome), h('td', {}, t.reason || '—'),
        h('td', { class: 'tabular' }, String(t.requests)), h('td', { class: 'tabular' }, String(t.events)),
        h('td', { class: 'tabular' }, formatBytes(t.bytes))))));
}

function svgEl(tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children) el.append(child);
  return el;
}
