// The benchmarks run Herald as it ships: the compiled package in dist/, not the TypeScript sources
// through tsx (whose output adds helpers of its own, such as a name-setting call per closure made).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The URL of a checkout's compiled entry point, dist/index.js. */
export function builtEntry(root: string): string {
  return pathToFileURL(join(root, 'dist', 'index.js')).href;
}

function newestSource(root: string): number {
  let newest = 0;
  for (const name of readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })) {
    const stats = statSync(join(root, 'src', name));
    if (stats.isFile() && stats.mtimeMs > newest) newest = stats.mtimeMs;
  }
  return newest;
}

/** Builds a checkout (`npm run build`) when its dist/ is missing or older than a file of its src/. */
export function ensureBuilt(root: string): void {
  let built = 0;
  try {
    built = statSync(join(root, 'dist', 'index.js')).mtimeMs;
  } catch {
    // Not built yet.
  }
  if (built >= newestSource(root)) return;
  const where = relative(process.cwd(), root) || '.';
  console.log(`building ${where}/dist (npm run build): the benchmark runs Herald as it ships`);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}
