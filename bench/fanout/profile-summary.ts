// Summarizes a V8 CPU profile (.cpuprofile): per function (file:line name), its self time and its
// total time (itself and what it calls), largest self time first, idle time left out of the shares.
// Used by `main.ts --profile`; also runs alone:
//   node --import tsx bench/fanout/profile-summary.ts <file.cpuprofile> [rows]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, table } from './stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function where(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  if (url === '') return name;
  const path = url.startsWith('file://') ? relative(process.cwd(), fileURLToPath(url)) : url;
  return `${path}:${lineNumber + 1} ${name}`;
}

interface Loaded {
  profile: Profile;
  byId: Map<number, ProfileNode>;
  parent: Map<number, number>;
}

function load(file: string): Loaded {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  return { profile, byId, parent };
}

/** Adds `us` to the total of each distinct function on the stack of node `id` that `keep` accepts. */
function addTotals(
  loaded: Loaded,
  id: number,
  us: number,
  total: Map<string, number>,
  keep: (k: string) => boolean,
) {
  // Each function counts once per sample, however deep it recurses.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = loaded.parent.get(at)) {
    const frame = loaded.byId.get(at);
    if (frame === undefined || frame.callFrame.functionName === '(root)') continue;
    const k = where(frame);
    if (!keep(k) || seen.has(k)) continue;
    seen.add(k);
    total.set(k, (total.get(k) ?? 0) + us);
  }
}

/** Self and total time by function over one profile. */
export function summarizeProfiles(file: string, rows = 30): string {
  const loaded = load(file);
  const { profile, byId } = loaded;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (node === undefined || node.callFrame.functionName === '(idle)') return;
    busy += us;
    const key = where(node);
    self.set(key, (self.get(key) ?? 0) + us);
    addTotals(loaded, id, us, total, () => true);
  });
  const share = (us: number) => `${((us / busy) * 100).toFixed(1)}%`;
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, rows);
  return [
    `busy (not idle) time: ${fmt(busy / 1000)} ms`,
    '',
    table(
      ['function (file:line name)', 'self ms', 'self share', 'total share'],
      top.map(([name, us]) => [name, fmt(us / 1000), share(us), share(total.get(name) ?? 0)]),
    ),
  ].join('\n');
}

/** Total time (with callees) of every function whose location contains `filter`, largest first. */
export function totalsMatching(file: string, filter: string): [string, number][] {
  const loaded = load(file);
  const total = new Map<string, number>();
  loaded.profile.samples.forEach((id, i) => {
    addTotals(loaded, id, loaded.profile.timeDeltas[i] ?? 0, total, (k) => k.includes(filter));
  });
  return [...total].sort((a, b) => b[1] - a[1]);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = process.argv[2];
  if (target === undefined) throw new Error('usage: profile-summary.ts <file.cpuprofile> [rows] [filter]');
  console.log(summarizeProfiles(target, Number(process.argv[3] ?? '30')));
  const filter = process.argv[4];
  if (filter !== undefined) {
    console.log(`\ntotal time of functions matching "${filter}":`);
    for (const [name, us] of totalsMatching(target, filter))
      console.log(`${fmt(us / 1000).padStart(10)} ms  ${name}`);
  }
}
