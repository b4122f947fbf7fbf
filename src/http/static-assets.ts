import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A file the hub serves from memory. */
export interface StaticAsset {
  readonly contentType: string;
  readonly body: Buffer;
  readonly cacheControl: string;
  /**
   * Carries the hub's figures (the monitor's history): when the monitor is private, served only
   * to a credential that may see it.
   */
  readonly figures?: boolean;
}

export function asset(contentType: string, body: string | Buffer, cacheControl = 'no-cache'): StaticAsset {
  return { contentType, body: typeof body === 'string' ? Buffer.from(body) : body, cacheControl };
}

/** Finds a build output whether Herald runs from dist/ (installed) or from src/ (tests through tsx). */
export function findBuiltFile(relativeToDist: string): string | undefined {
  for (const base of ['../', '../../dist/']) {
    const path = fileURLToPath(new URL(base + relativeToDist, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** The browser build of herald/client at /herald-client.js, when it has been built. */
export function clientBundleAssets(): Map<string, StaticAsset> {
  const assets = new Map<string, StaticAsset>();
  const path = findBuiltFile('public/herald-client.js');
  if (path !== undefined)
    assets.set('/herald-client.js', asset('text/javascript; charset=utf-8', readFileSync(path)));
  return assets;
}
