// Runs every benchmark named on the command line (default: all of bench/*/main.ts) one after another.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const names =
  args.length > 0 ? args : readdirSync('bench').filter((d) => existsSync(join('bench', d, 'main.ts')));
for (const name of names) {
  console.log(`\n=== bench/${name} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('bench', name, 'main.ts')], {
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
