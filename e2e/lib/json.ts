// JSON.stringify without recursion, for recordings nested deeper than the call stack allows.

type Frame = { kind: 'array'; items: unknown[]; next: number } | { kind: 'object'; entries: [string, unknown][]; next: number };

/** The same text as `JSON.stringify(value)` for plain data (objects, arrays, strings, numbers, booleans, null). */
export function toJson(value: unknown): string {
  const out: string[] = [];
  const stack: Frame[] = [];
  let pending: unknown = value;
  let hasPending = true;
  for (;;) {
    if (hasPending) {
      hasPending = false;
      if (Array.isArray(pending)) {
        out.push('[');
        stack.push({ kind: 'array', items: pending, next: 0 });
      } else if (pending !== null && typeof pending === 'object') {
        out.push('{');
        const entries = Object.entries(pending as Record<string, unknown>).filter(([, v]) => v !== undefined && typeof v !== 'function');
        stack.push({ kind: 'object', entries, next: 0 });
      } else {
        out.push(JSON.stringify(pending) ?? 'null');
      }
    }
    const top = stack[stack.length - 1];
    if (!top) return out.join('');
    if (top.kind === 'array') {
      if (top.next === top.items.length) {
        out.push(']');
        stack.pop();
        continue;
      }
      if (top.next > 0) out.push(',');
      const item = top.items[top.next++];
      pending = item === undefined || typeof item === 'function' ? null : item;
    } else {
      if (top.next === top.entries.length) {
        out.push('}');
        stack.pop();
        continue;
      }
      if (top.next > 0) out.push(',');
      const [key, item] = top.entries[top.next++]!;
      out.push(`${JSON.stringify(key)}:`);
      pending = item;
    }
    hasPending = true;
  }
}
