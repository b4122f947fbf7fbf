import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { asset, type StaticAsset } from '../http/static-assets.js';
import type { Collector } from './collector.js';

const PAGE_FILES = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/monitor/monitor.js', 'monitor.js', 'text/javascript; charset=utf-8'],
  ['/monitor/monitor.css', 'monitor.css', 'text/css; charset=utf-8'],
] as const;

const UPLOT_FILES = [
  ['/monitor/uPlot.iife.min.js', 'uplot/dist/uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
  ['/monitor/uPlot.min.css', 'uplot/dist/uPlot.min.css', 'text/css; charset=utf-8'],
] as const;

/** The page's own files sit next to this module: src/monitor/page (tsx) or dist/monitor/page (built). */
export function pageFile(name: string): string {
  const path = fileURLToPath(new URL(`./page/${name}`, import.meta.url));
  if (!existsSync(path)) {
    throw new Error(
      `herald monitor: ${path} is missing (the build copies src/monitor/page to dist/monitor/page)`,
    );
  }
  return path;
}

/** uPlot's browser files, found at run time in the installed package (no CDN). */
export function uplotAssets(): Map<string, StaticAsset> {
  const require = createRequire(import.meta.url);
  const assets = new Map<string, StaticAsset>();
  for (const [path, file, type] of UPLOT_FILES) {
    assets.set(path, asset(type, readFileSync(require.resolve(file)), 'public, max-age=86400'));
  }
  return assets;
}

/** Everything the monitor page needs, served from memory; history.json is re-encoded at most once per tick. */
export function monitorPageAssets(collector: Collector): Map<string, StaticAsset> {
  const assets = uplotAssets();
  for (const [path, file, type] of PAGE_FILES) assets.set(path, asset(type, readFileSync(pageFile(file))));
  assets.set('/monitor/history.json', {
    contentType: 'application/json',
    cacheControl: 'no-store',
    figures: true,
    get body() {
      return collector.historyJson();
    },
  });
  return assets;
}
