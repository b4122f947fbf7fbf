// Stock ticker over Herald: a hub (library use) serving the page, and a publisher that POSTs
// prices to it on stocks/<symbol>. The page subscribes to stocks/* or to the symbols picked.
// Run: npm run example:ticker   (PORT=8081 by default)
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { asset } from '../../src/http/static-assets.js';
import { createHub, type HeraldHub, mintToken } from '../../src/index.js';
import { SYMBOLS, startPublisher } from './publisher.js';

export interface TickerServer {
  url: string;
  hub: HeraldHub;
  close(): Promise<void>;
}

export async function startTicker(port = 0, host = '127.0.0.1', intervalMs = 500): Promise<TickerServer> {
  const key = randomBytes(32);
  const file = (name: string) => readFileSync(new URL(`./public/${name}`, import.meta.url));
  const uplot = createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js');
  const uplotCss = createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css');
  // The hub serves the page itself: `assets` are files kept in memory.
  const hub = createHub({
    jwtKey: key,
    monitor: false,
    assets: new Map([
      ['/', asset('text/html; charset=utf-8', file('index.html'))],
      ['/ticker.js', asset('text/javascript; charset=utf-8', file('ticker.js'))],
      ['/symbols.json', asset('application/json', JSON.stringify(SYMBOLS))],
      ['/vendor/uPlot.iife.min.js', asset('text/javascript; charset=utf-8', readFileSync(uplot))],
      ['/vendor/uPlot.min.css', asset('text/css; charset=utf-8', readFileSync(uplotCss))],
    ]),
  });
  const server = await hub.listen(port, host).catch(async (error: unknown) => {
    await hub.close();
    throw error;
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  // The publisher only needs a token that may publish to stocks/*.
  const token = await mintToken(key, { publish: ['stocks/*'] });
  const stop = startPublisher({ url, token, intervalMs });
  return {
    url,
    hub,
    async close() {
      stop();
      await hub.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 8081);
  const ticker = await startTicker(port, process.env.HOST ?? '127.0.0.1').catch(
    (error: NodeJS.ErrnoException) => {
      console.error(
        error.code === 'EADDRINUSE'
          ? `ticker: port ${port} is in use: stop the other process or run with PORT=N`
          : `ticker: cannot start: ${error.message}`,
      );
      process.exit(1);
    },
  );
  console.log(`ticker: open ${ticker.url}/`);
  const stop = () => ticker.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
