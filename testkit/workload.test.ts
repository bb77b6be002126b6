// The committed workload is what other code measures against: it must stay readable and
// structurally sound, and the long-session generator built on it must stay deterministic and
// consistent (every node it changes or removes exists, no id is added twice).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generate, pageLoads } from './long-session.ts';
import { listSessions, readSession, SITES } from './workload-files.ts';

interface Node {
  id: number;
  childNodes?: Node[];
}
interface Event {
  type: number;
  data: {
    source?: number;
    node?: Node;
    adds?: Array<{ parentId: number; node: Node }>;
    removes?: Array<{ id: number }>;
    texts?: Array<{ id: number }>;
    attributes?: Array<{ id: number }>;
  };
  timestamp: number;
}

/** Replays a stream's structure (not its content): counts references to absent nodes and ids added twice. */
function structuralProblems(events: Event[]): string[] {
  const present = new Map<number, number[]>();
  const problems: string[] = [];
  const add = (node: Node): void => {
    if (present.has(node.id)) problems.push(`node ${node.id} added twice`);
    present.set(node.id, (node.childNodes ?? []).map((c) => c.id));
    for (const child of node.childNodes ?? []) add(child);
  };
  const drop = (id: number): void => {
    const children = present.get(id) ?? [];
    present.delete(id);
    for (const child of children) drop(child);
  };
  events.forEach((e, i) => {
    if (e.type === 4 && events[i + 1]?.type !== 2) problems.push(`event ${i}: a Meta without a FullSnapshot after it`);
    if (e.type === 2 && e.data.node) {
      present.clear();
      add(e.data.node);
    }
    if (e.type !== 3 || e.data.source !== 0) return;
    for (const r of e.data.removes ?? []) {
      if (!present.has(r.id)) problems.push(`event ${i}: removes absent node ${r.id}`);
      drop(r.id);
    }
    for (const a of e.data.adds ?? []) {
      if (!present.has(a.parentId)) problems.push(`event ${i}: adds to absent node ${a.parentId}`);
      add(a.node);
    }
    for (const c of [...(e.data.texts ?? []), ...(e.data.attributes ?? [])]) {
      if (!present.has(c.id)) problems.push(`event ${i}: changes absent node ${c.id}`);
    }
  });
  return problems;
}

test('the committed workload has at least 3 sessions per site, each opening with Meta + FullSnapshot', () => {
  const files = listSessions();
  for (const site of SITES) assert.ok(files.filter((f) => f.site === site).length >= 3, `${site}: sessions`);
  for (const file of files) {
    const events = readSession(file.path).map((e) => JSON.parse(e) as Event);
    assert.equal(events[0]?.type, 4, `${file.name}: first event`);
    assert.equal(events[1]?.type, 2, `${file.name}: second event`);
    assert.deepEqual(structuralProblems(events).slice(0, 5), [], file.name);
  }
});

test('the long-session generator is deterministic and structurally consistent', () => {
  for (const site of SITES) {
    const loads = pageLoads(site);
    const first = generate(loads, 20, `test-${site}`);
    const second = generate(loads, 20, `test-${site}`);
    assert.deepEqual(second, first, `${site}: same input, same output`);
    const events = first.map((e) => JSON.parse(e) as Event);
    assert.deepEqual(structuralProblems(events).slice(0, 5), [], site);
    const times = events.map((e) => e.timestamp);
    assert.ok(times.every((t, i) => i === 0 || t >= (times[i - 1] as number)), `${site}: time only moves forward`);
    const span = (times[times.length - 1] as number) - (times[0] as number);
    assert.ok(span > 18 * 60_000 && span <= 20 * 60_000, `${site}: spans ${span} ms`);
    const snapshots = events.map((e, i) => (e.type === 2 ? (times[i] as number) : -1)).filter((t) => t >= 0);
    const longestGap = Math.max(...snapshots.map((t, i) => (i === 0 ? 0 : t - (snapshots[i - 1] as number))));
    assert.ok(longestGap < 7 * 60_000, `${site}: a full snapshot at least every ~5 minutes (longest gap ${longestGap} ms)`);
  }
});
