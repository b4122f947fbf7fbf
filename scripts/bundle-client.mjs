// Bundles herald/client into one ESM file the hub serves at /herald-client.js (no CDN).
import { existsSync } from 'node:fs';
import { build } from 'esbuild';

if (existsSync('src/client/index.ts')) {
  await build({
    entryPoints: ['src/client/index.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    outfile: 'dist/public/herald-client.js',
    logLevel: 'warning',
  });
}
