// Hand-built rrweb recordings for tests that need exact, hostile or broken content.

import type { RecordedEvent } from '../../testkit/api-types.ts';
import { EventType, IncrementalSource } from './rrweb.ts';

const NodeType = { Document: 0, DocumentType: 1, Element: 2, Text: 3 } as const;

/** A serialized node as rrweb's snapshot writes it (ids are filled in by `Page`). */
export type SerializedNode = Record<string, unknown> & { id: number; type: number };

/** Builds serialized nodes with ids unique within one recording. */
export class NodeIds {
  private next = 1;

  document(...children: SerializedNode[]): SerializedNode {
    return { type: NodeType.Document, id: this.take(), childNodes: children };
  }

  doctype(): SerializedNode {
    return { type: NodeType.DocumentType, id: this.take(), name: 'html', publicId: '', systemId: '' };
  }

  element(tagName: string, attributes: Record<string, string> = {}, ...children: SerializedNode[]): SerializedNode {
    return { type: NodeType.Element, id: this.take(), tagName, attributes, childNodes: children };
  }

  text(textContent: string, isStyle = false): SerializedNode {
    return { type: NodeType.Text, id: this.take(), textContent, ...(isStyle ? { isStyle: true } : {}) };
  }

  /** A standard page: `<!doctype html><html><head>…</head><body>…</body></html>`. */
  page(head: SerializedNode[], body: SerializedNode[]): { root: SerializedNode; body: SerializedNode } {
    const bodyNode = this.element('body', {}, ...body);
    const root = this.document(this.doctype(), this.element('html', {}, this.element('head', {}, ...head), bodyNode));
    return { root, body: bodyNode };
  }

  private take(): number {
    return this.next++;
  }
}

export function meta(timestamp: number, href: string, width = 1024, height = 640): RecordedEvent {
  return { type: EventType.Meta, timestamp, data: { href, width, height } };
}

export function fullSnapshot(timestamp: number, node: SerializedNode): RecordedEvent {
  return { type: EventType.FullSnapshot, timestamp, data: { node, initialOffset: { top: 0, left: 0 } } };
}

/** A mutation that appends `node` as the last child of `parentId`. */
export function append(timestamp: number, parentId: number, node: SerializedNode): RecordedEvent {
  return {
    type: EventType.IncrementalSnapshot,
    timestamp,
    data: { source: IncrementalSource.Mutation, texts: [], attributes: [], removes: [], adds: [{ parentId, nextId: null, node }] },
  };
}

export function mouseMove(timestamp: number, x: number, y: number, id: number): RecordedEvent {
  return {
    type: EventType.IncrementalSnapshot,
    timestamp,
    data: { source: IncrementalSource.MouseMove, positions: [{ x, y, id, timeOffset: 0 }] },
  };
}

/** `levels` nested `<div>`s with a text at the bottom, built without recursion. */
export function nestedDivs(ids: NodeIds, levels: number, text: string): SerializedNode {
  const chain = Array.from({ length: levels }, () => ids.element('div'));
  for (let i = 0; i < chain.length - 1; i++) (chain[i]!.childNodes as SerializedNode[]).push(chain[i + 1]!);
  (chain[chain.length - 1]!.childNodes as SerializedNode[]).push(ids.text(text));
  return chain[0]!;
}
