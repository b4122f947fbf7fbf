// Runs every benchmark named on the command line (default: all of bench/*/main.ts) one after another;
// arguments starting with `--` are passed to each of them (`npm run bench fanout -- --quick`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const named = args.filter((a) => !a.startsWith('--'));
const names =
  named.length > 0 ? named : readdirSync('bench').filter((d) => existsSync(join('bench', d, 'main.ts')));
for (const name of names) {
  console.log(`\n=== bench/${name} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('bench', name, 'main.ts'), ...flags], {
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
