/**
 * Privacy for recorded console messages. rrweb's console plugin serializes a logged DOM
 * element as its `outerHTML`, which carries the text of `reel-mask` elements and the `value`
 * attributes of inputs — exactly what masking keeps out of the replay. Such items are replaced
 * by the element's tag name, and every item is bounded in length.
 */
import type { RecordedEvent } from './recorder';

export const CONSOLE_PLUGIN = 'rrweb/console@1';
/** Longest recorded console argument, in characters of its JSON form. */
export const MAX_CONSOLE_ITEM = 2000;

const ELEMENT_HTML = /^<([a-zA-Z][\w:-]*)[\s>/]/;

interface ConsolePayload {
  level?: unknown;
  trace?: unknown;
  payload?: unknown;
}

/** Returns the event unchanged unless it is a console event that needs scrubbing. */
export function scrubConsoleEvent(event: RecordedEvent): RecordedEvent {
  const data = event.data as { plugin?: unknown; payload?: ConsolePayload } | null;
  if (event.type !== 6 || !data || data.plugin !== CONSOLE_PLUGIN || !Array.isArray(data.payload?.payload)) {
    return event;
  }
  const items = data.payload.payload as unknown[];
  const scrubbed = items.map(scrubItem);
  if (scrubbed.every((item, i) => item === items[i])) return event;
  return { ...event, data: { ...data, payload: { ...data.payload, payload: scrubbed } } };
}

function scrubItem(item: unknown): unknown {
  if (typeof item !== 'string') return item;
  let value: unknown;
  try {
    value = JSON.parse(item);
  } catch {
    return bound(item);
  }
  if (typeof value === 'string') {
    const element = ELEMENT_HTML.exec(value);
    if (element) return JSON.stringify(`<${element[1]!.toLowerCase()}> element (content not recorded)`);
  }
  return bound(item);
}

function bound(item: string): string {
  if (item.length <= MAX_CONSOLE_ITEM) return item;
  // Keep it a JSON string so the player can still parse it.
  return JSON.stringify(`${item.slice(0, MAX_CONSOLE_ITEM)}… (${item.length - MAX_CONSOLE_ITEM} more characters not recorded)`);
}
