// A census of the V8 heap by kind of object (constructor, closure name, array kind), taken from a
// heap snapshot in the process itself; two censuses taken around opening N connections, divided by
// N, say what each connection keeps alive on the heap. Used by `main.ts --heap`.
import { getHeapSnapshot } from 'node:v8';

export type Census = Record<string, { count: number; bytes: number }>;

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Internal arrays are named after the object that holds them: `array (object elements) of Session`. */
const OWNED = new Set(['array', 'hidden']);

/** Heap objects by kind: `Session`, `closure gone`, `array (object elements)`, `string`... */
export async function heapCensus(): Promise<Census> {
  let text = '';
  for await (const chunk of getHeapSnapshot()) text += chunk;
  const snapshot = JSON.parse(text) as Snapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const edgeCountAt = fields.indexOf('edge_count');
  const edgeWidth = snapshot.snapshot.meta.edge_fields.length;
  const toAt = snapshot.snapshot.meta.edge_fields.indexOf('to_node');
  const typeOf = (i: number) => types[snapshot.nodes[i + typeAt]!] ?? '?';
  const nameOf = (i: number) => snapshot.strings[snapshot.nodes[i + nameAt]!] ?? '';
  // The first object or closure (by snapshot order) that points at each internal array.
  const owner = new Map<number, number>();
  for (let i = 0, e = 0; i < snapshot.nodes.length; i += width) {
    const edges = snapshot.nodes[i + edgeCountAt]!;
    if (!OWNED.has(typeOf(i))) {
      for (let k = 0; k < edges; k++) {
        const to = snapshot.edges[e + k * edgeWidth + toAt]!;
        if (OWNED.has(typeOf(to)) && !owner.has(to)) owner.set(to, i);
      }
    }
    e += edges * edgeWidth;
  }
  const census: Census = {};
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = typeOf(i);
    const name = nameOf(i);
    let kind: string;
    if (type === 'object') kind = name;
    else if (type === 'string' || type === 'concatenated string' || type === 'sliced string') kind = 'string';
    else if (type === 'number' || type === 'heap number') kind = 'number';
    else kind = `${type} ${name.slice(0, 60)}`;
    const by = owner.get(i);
    if (by !== undefined)
      kind += ` of ${typeOf(by) === 'object' ? '' : `${typeOf(by)} `}${nameOf(by).slice(0, 40)}`;
    let entry = census[kind];
    if (entry === undefined) {
      entry = { count: 0, bytes: 0 };
      census[kind] = entry;
    }
    entry.count++;
    entry.bytes += snapshot.nodes[i + sizeAt]!;
  }
  return census;
}

/** What grew between two censuses, per connection, largest first. */
export function perConnection(before: Census, after: Census, n: number, rows: number) {
  const grown: { kind: string; count: number; bytes: number }[] = [];
  for (const [kind, a] of Object.entries(after)) {
    const b = before[kind] ?? { count: 0, bytes: 0 };
    grown.push({ kind, count: (a.count - b.count) / n, bytes: (a.bytes - b.bytes) / n });
  }
  grown.sort((x, y) => y.bytes - x.bytes);
  const total = grown.reduce((sum, g) => sum + g.bytes, 0);
  const all = new Map(grown.map((g) => [g.kind, { count: g.count, bytes: g.bytes }]));
  return { total, top: grown.slice(0, rows), all };
}
