// Gapless resume with the Node.js clients users bring: the `eventsource` package v3 and v4 (they take
// an id only from a dispatched event, so an id-only block would not move theirs) and herald/client.
// Not v5: it needs Node.js 22.12, and `npm ci` on the Node.js 20 Herald supports would warn EBADENGINE.
// See interop.ts for the scenario.
import { after, before, describe, it } from 'node:test';
import { EventSource as EventSourceV3 } from 'eventsource';
import { EventSource as EventSourceV4 } from 'eventsource-v4';
import { EventSource as HeraldEventSource } from '../../src/client/index.js';
import {
  type ClientLog,
  type InteropSetup,
  type OpenClient,
  runInteropScenario,
  startInteropHub,
} from './interop.js';

/** The part of the EventSource interface the scenario drives (every client here has it). */
interface MinimalEventSource {
  onmessage: ((event: MessageEvent) => unknown) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => unknown): void;
  close(): void;
}

type Constructor = new (url: string) => MinimalEventSource;

function driver(Impl: Constructor): OpenClient {
  return async (origin, path) => {
    const log: ClientLog = { messages: [], bareMessages: [], resumes: [], gaps: 0 };
    const source = new Impl(`${origin}${path}`);
    source.onmessage = (event) => log.messages.push(String(event.data));
    source.addEventListener('herald-resume', (event) => {
      log.resumes.push((JSON.parse(String(event.data)) as { lastEventId: string }).lastEventId);
    });
    source.addEventListener('herald-gap', () => {
      log.gaps++;
    });
    // A second source with nothing but onmessage: named events nobody listens to must not reach it.
    const bare = new Impl(`${origin}${path}`);
    bare.onmessage = (event) => log.bareMessages.push(String(event.data));
    return {
      log: async () => log,
      async close() {
        source.close();
        bare.close();
      },
    };
  };
}

const CLIENTS: Array<[string, Constructor]> = [
  ['eventsource v3', EventSourceV3 as unknown as Constructor],
  ['eventsource v4', EventSourceV4 as unknown as Constructor],
  ['herald/client', HeraldEventSource as unknown as Constructor],
];

describe('gapless resume with Node.js clients', { timeout: 60_000 }, () => {
  for (const [name, Impl] of CLIENTS) {
    describe(name, () => {
      let setup: InteropSetup;
      before(async () => {
        setup = await startInteropHub();
      });
      after(() => setup?.close());

      it('resumes from its first connect, past invisible events and past a gap, exactly once', () =>
        runInteropScenario(setup, driver(Impl), `interop/${name.replace(/\W+/g, '-')}`));
    });
  }
});
