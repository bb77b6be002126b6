// Drawing a chart's answer: lines and bars in SVG, tables, funnel bars (converted solid,
// dropped striped), paths, variants. Every data point is a button: clicking it asks for the
// sessions behind it (the Microscope).

import type { ChartAnswer, DataPoint, ExperimentAnswer, FunnelAnswer, JourneysAnswer, SegmentationAnswer, Series, SessionsAnswer } from './analytics-api';
import type { ChartView } from './chart-state';
import { h } from './dom';
import { formatDuration } from './format';

export type OnPoint = (point: DataPoint, label: string) => void;

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#3b5bdb', '#e8590c', '#2f9e44', '#ae3ec9', '#1098ad', '#f08c00', '#c2255c', '#5c940d', '#495057', '#7048e8'];

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function number(v: number): string {
  if (!Number.isFinite(v)) return '–';
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

function percent(v: number): string {
  return `${(v * 100).toLocaleString('en-US', { maximumFractionDigits: 1 })} %`;
}

/** Draws any answer. */
export function renderAnswer(answer: ChartAnswer, view: ChartView, onPoint: OnPoint): HTMLElement {
  switch (answer.kind) {
    case 'segmentation':
      return renderSeriesChart(answer, answer.series, view, onPoint, (s, bucket) => ({
        event_index: s.event_index ?? 0,
        ...(s.group != null ? { group: s.group } : {}),
        ...(s.bin != null ? { bin: s.bin } : {}),
        ...(bucket !== undefined ? { bucket_ms: bucket } : {}),
      }));
    case 'sessions':
      return renderSessions(answer, view, onPoint);
    case 'funnel':
      return renderFunnel(answer, onPoint);
    case 'journeys':
      return renderJourneys(answer, onPoint);
    case 'experiment':
      return renderExperiment(answer, onPoint);
  }
}

type PointOf = (series: Series, bucketMs: number | undefined) => DataPoint;

function renderSeriesChart(
  answer: Pick<SegmentationAnswer, 'buckets' | 'timezone'>,
  series: Series[],
  view: ChartView,
  onPoint: OnPoint,
  pointOf: PointOf,
): HTMLElement {
  const labels = answer.buckets.map((b) => b.start.slice(0, 16).replace('T', ' '));
  const table = h('table', { class: 'chart-table', 'data-testid': 'chart-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Series'), ...labels.map((l) => h('th', {}, l)), h('th', {}, 'Total'))),
    h('tbody', {}, ...series.map((s) => h('tr', {},
      h('th', { scope: 'row' }, s.label),
      ...s.values.map((v, i) => h('td', {}, pointButton(number(v), () => onPoint(pointOf(s, answer.buckets[i]?.start_ms), `${s.label}, ${labels[i]}`), 'chart-cell'))),
      h('td', {}, pointButton(number(s.total), () => onPoint(pointOf(s, undefined), `${s.label}, whole range`), 'chart-cell'))))));
  if (view === 'table') return h('div', { class: 'chart-area' }, table);
  const width = 860;
  const height = 260;
  const pad = { left: 48, right: 12, top: 12, bottom: 28 };
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const n = Math.max(1, answer.buckets.length);
  const x = (i: number): number => pad.left + ((width - pad.left - pad.right) * (i + 0.5)) / n;
  const y = (v: number): number => pad.top + (height - pad.top - pad.bottom) * (1 - v / max);
  const plot = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart-svg', role: 'img', 'aria-label': 'chart' });
  for (const t of [0, 0.5, 1]) {
    plot.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y(max * t), y2: y(max * t), class: 'chart-grid' }));
    const label = svg('text', { x: pad.left - 6, y: y(max * t) + 4, 'text-anchor': 'end', class: 'chart-axis' });
    label.textContent = number(max * t);
    plot.append(label);
  }
  const step = Math.max(1, Math.ceil(n / 8));
  // Days, weeks and months start at midnight: their dates say enough; hours need the time.
  const hourly = labels.some((l) => !l.endsWith('00:00'));
  labels.forEach((l, i) => {
    if (i % step) return;
    const t = svg('text', { x: x(i), y: height - 8, 'text-anchor': 'middle', class: 'chart-axis' });
    t.textContent = hourly ? l.slice(5) : l.slice(5, 10);
    plot.append(t);
  });
  const slot = (width - pad.left - pad.right) / n;
  const barWidth = Math.max(2, (slot * 0.8) / Math.max(1, series.length));
  series.forEach((s, si) => {
    const color = COLORS[si % COLORS.length] ?? '#333';
    if (view === 'line') {
      plot.append(svg('polyline', { points: s.values.map((v, i) => `${x(i)},${y(v)}`).join(' '), fill: 'none', stroke: color, 'stroke-width': 2 }));
    }
    s.values.forEach((v, i) => {
      const bucket = answer.buckets[i]?.start_ms;
      const mark = view === 'line'
        ? svg('circle', { cx: x(i), cy: y(v), r: 5, fill: color, class: 'chart-point' })
        : svg('rect', { x: x(i) - (slot * 0.4) + si * barWidth, y: y(v), width: barWidth - 1, height: Math.max(0, y(0) - y(v)), fill: color, class: 'chart-point' });
      mark.setAttribute('data-testid', `point-${si}-${i}`);
      mark.setAttribute('tabindex', '0');
      const title = svg('title', {});
      title.textContent = `${s.label}, ${labels[i] ?? ''}: ${number(v)}`;
      mark.append(title);
      mark.addEventListener('click', () => onPoint(pointOf(s, bucket), `${s.label}, ${labels[i] ?? ''}`));
      plot.append(mark);
    });
  });
  const legend = h('ul', { class: 'chart-legend' }, ...series.map((s, si) =>
    h('li', {}, h('span', { class: 'chart-swatch', style: `background:${COLORS[si % COLORS.length] ?? '#333'}` }), s.label)));
  return h('div', { class: 'chart-area' }, plot, legend, table);
}

function pointButton(text: string, onClick: () => void, cls: string, testId?: string): HTMLButtonElement {
  return h('button', { type: 'button', class: cls, onclick: onClick, 'data-testid': testId, title: 'Show the sessions behind this' }, text);
}

function renderSessions(answer: SessionsAnswer, view: ChartView, onPoint: OnPoint): HTMLElement {
  const counts = answer.series.filter((s) => s.measure === 'sessions');
  const chart = renderSeriesChart(answer, counts, view, onPoint, (_s, bucket) => (bucket !== undefined ? { bucket_ms: bucket } : {}));
  const measures = h('table', { class: 'chart-table', 'data-testid': 'sessions-measures' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Measure'), h('th', {}, 'Whole range'))),
    h('tbody', {}, ...answer.series.map((s) => h('tr', {}, h('th', { scope: 'row' }, s.label),
      h('td', {}, (s.measure ?? '').endsWith('_ms') ? formatDuration(s.total) : number(s.total))))));
  const max = Math.max(1, ...answer.length_distribution.map((b) => b.sessions));
  const bins = h('div', { class: 'bins', 'data-testid': 'length-distribution' }, ...answer.length_distribution.map((b) =>
    h('div', { class: 'bin-row' }, h('span', { class: 'bin-label' }, b.label),
      pointButton(number(b.sessions), () => onPoint({ bin: b.label }, `sessions of ${b.label}`), 'bin-bar'),
      h('span', { class: 'bin-fill', style: `width:${(b.sessions / max) * 60}%` }))));
  return h('div', { class: 'chart-area' }, chart, h('h3', {}, 'Measures'), measures, h('h3', {}, 'Length distribution'), bins,
    h('p', { class: 'muted' }, `${number(answer.users)} users with a session in the range.`));
}

function funnelBars(steps: FunnelAnswer['steps'], group: string | undefined, onPoint: OnPoint, testPrefix: string): HTMLElement {
  const first = Math.max(1, steps[0]?.count ?? 0);
  return h('div', { class: 'funnel' }, ...steps.map((s, k) => {
    const dropped = k === 0 ? 0 : s.drop_off;
    const base = group !== undefined ? { group } : {};
    return h('div', { class: 'funnel-step', 'data-testid': `${testPrefix}step-${k}` },
      h('div', { class: 'funnel-label' }, h('strong', {}, `${k + 1}. ${s.event_type}`),
        h('span', { class: 'muted' }, ` ${number(s.count)} users · ${percent(s.conversion)} of step 1`,
          k > 0 ? ` · ${percent(s.conversion_from_previous)} of step ${k}` : '',
          s.median_ms_to_convert != null ? ` · median ${formatDuration(s.median_ms_to_convert)} to convert` : '')),
      h('div', { class: 'funnel-track' },
        h('button', { type: 'button', class: 'funnel-converted', style: `width:${(s.count / first) * 100}%`, title: `${s.count} converted: show their sessions`, 'data-testid': `${testPrefix}converted-${k}`,
          onclick: () => onPoint({ ...base, step: k, part: 'converted' }, `${s.event_type}: converted`) }, number(s.count)),
        dropped > 0
          ? h('button', { type: 'button', class: 'funnel-dropped', style: `width:${(dropped / first) * 100}%`, title: `${dropped} dropped off: show their sessions`, 'data-testid': `${testPrefix}dropped-${k}`,
              onclick: () => onPoint({ ...base, step: k, part: 'dropped' }, `${s.event_type}: dropped off`) }, number(dropped))
          : null));
  }));
}

function renderFunnel(answer: FunnelAnswer, onPoint: OnPoint): HTMLElement {
  return h('div', { class: 'chart-area', 'data-testid': 'funnel' },
    funnelBars(answer.steps, undefined, onPoint, 'funnel-'),
    ...(answer.groups ?? []).map((g) => h('section', { class: 'funnel-group' }, h('h3', {}, g.group), funnelBars(g.steps, g.group, onPoint, `group-${g.group}-`))));
}

function renderJourneys(answer: JourneysAnswer, onPoint: OnPoint): HTMLElement {
  if (answer.nodes?.length) {
    return h('div', { class: 'chart-area', 'data-testid': 'journey-map' },
      h('p', { class: 'muted' }, `${number(answer.users)} users.`),
      h('table', { class: 'chart-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Event'), h('th', {}, 'Users'))),
        h('tbody', {}, ...answer.nodes.map((n) => h('tr', {}, h('th', {}, n.event_type),
          h('td', {}, pointButton(number(n.users), () => onPoint({ path: [n.event_type] }, n.event_type), 'chart-cell')))))),
      h('h3', {}, 'Flows'),
      h('table', { class: 'chart-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'From'), h('th', {}, 'To'), h('th', {}, 'Users'), h('th', {}, 'Times'))),
        h('tbody', {}, ...(answer.edges ?? []).map((e) => h('tr', {}, h('td', {}, e.from), h('td', {}, e.to),
          h('td', {}, pointButton(number(e.users), () => onPoint({ path: [e.from, e.to] }, `${e.from} → ${e.to}`), 'chart-cell')),
          h('td', {}, number(e.transitions)))))));
  }
  return h('div', { class: 'chart-area', 'data-testid': 'paths' },
    h('p', { class: 'muted' }, `${number(answer.users)} users with the event.`),
    h('ol', { class: 'paths' }, ...(answer.paths ?? []).map((p, i) => h('li', { class: 'path' },
      h('button', { type: 'button', class: 'path-button', 'data-testid': `path-${i}`, onclick: () => onPoint({ path: p.events }, p.events.join(' → ')) },
        h('span', { class: 'path-events' }, p.events.join(' → ')),
        h('span', { class: 'muted' }, ` ${number(p.users)} users (${percent(p.share)})`))))),
    h('div', { class: 'positions' }, ...(answer.positions ?? []).map((nodes, i) => h('div', { class: 'position' },
      h('h4', {}, i === 0 ? 'Anchor' : `Step ${i + 1}`),
      h('ul', {}, ...nodes.map((n) => h('li', {}, `${n.event_type}: ${number(n.users)}`)))))));
}

function renderExperiment(answer: ExperimentAnswer, onPoint: OnPoint): HTMLElement {
  return h('div', { class: 'chart-area', 'data-testid': 'experiment' },
    h('table', { class: 'chart-table' },
      h('thead', {}, h('tr', {}, ...['Variant', 'Exposed', 'Converted', 'Conversion', `Difference (${percent(answer.confidence)} interval)`, 'Lift'].map((t) => h('th', {}, t)))),
      h('tbody', {}, ...answer.variants.map((v) => h('tr', {},
        h('th', {}, v.variant, v.variant === answer.control ? ' (control)' : ''),
        h('td', {}, pointButton(number(v.exposed), () => onPoint({ variant: v.variant }, `${v.variant}: exposed`), 'chart-cell')),
        h('td', {}, pointButton(number(v.converted), () => onPoint({ variant: v.variant, converted: true }, `${v.variant}: converted`), 'chart-cell')),
        h('td', {}, percent(v.conversion)),
        h('td', {}, v.difference != null ? `${percent(v.difference)} [${percent(v.ci_low ?? 0)}, ${percent(v.ci_high ?? 0)}]` : '–'),
        h('td', {}, v.lift != null ? percent(v.lift) : '–'))))));
}
