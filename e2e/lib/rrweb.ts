// rrweb's numbers the tests build and read events with, and questions about stored events.

import type { RecordedEvent } from '../../testkit/api-types.ts';

export const EventType = { FullSnapshot: 2, IncrementalSnapshot: 3, Meta: 4, Custom: 5, Plugin: 6 } as const;
export const IncrementalSource = { Mutation: 0, MouseMove: 1, MouseInteraction: 2, Input: 5 } as const;

export function hasEvent(events: RecordedEvent[], type: number): boolean {
  return events.some((event) => event.type === type);
}

export function pluginEvents(events: RecordedEvent[], plugin: string): RecordedEvent[] {
  return events.filter((event) => event.type === EventType.Plugin && event.data.plugin === plugin);
}
