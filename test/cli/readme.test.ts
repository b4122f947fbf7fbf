// The README's first screen, run as a newcomer would paste it: `npx herald serve` in this checkout,
// the curl subscriber, then the printed export line and both publish commands. The only changes: the
// hub gets a free port (HERALD_PORT=0, so its export lines include HERALD_URL) and the URLs in the
// commands are that hub's. `npm install && npm run build` is what `npm test` has just done.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { sh, stopShells, until } from '../support/shell.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const DEFAULT = 'http://127.0.0.1:8080';

/** The shell blocks of the README's first section. */
function firstScreen(): string[] {
  const start = README.indexOf('## From clone to a received event');
  assert.ok(start >= 0, 'the README starts with the clone-to-event section');
  const section = README.slice(start, README.indexOf('\n## ', start + 3));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

after(stopShells);

describe("the README's first screen", { timeout: 60_000 }, () => {
  it('gets from a checkout to a published and received event by copy and paste', async () => {
    const [setup, subscribe, publish] = firstScreen();
    assert.ok(setup && subscribe && publish, 'three shell blocks: start, subscribe, publish');
    const setupLines = setup.split('\n').filter((l) => l.trim() !== '');
    assert.match(setupLines[0]!, /^npm install && npm run build\b/);
    assert.match(setupLines[1]!, /^npx herald serve\b/);
    // The comments go; the README's URL becomes this hub's (known once it has started).
    let url = DEFAULT;
    const commands = (block: string) => block.replace(/#[^\n'"]*$/gm, '').replaceAll(DEFAULT, url);

    // Terminal 1: the hub, from this checkout's own bin.
    const hub = sh(commands(setupLines[1]!), { HERALD_PORT: '0' });
    await until(() => /^export HERALD_URL=\S+$/m.test(hub.err()), 'the export lines', hub);
    const exports = hub
      .err()
      .split('\n')
      .filter((l) => l.startsWith('export '));
    assert.match(exports[0]!, /^export HERALD_TOKEN=[\w-]+\.[\w-]+\.[\w-]+$/);
    url = /^export HERALD_URL=(\S+)$/m.exec(hub.err())![1]!;

    // Terminal 2: the subscriber.
    const subscriber = sh(commands(subscribe));
    await until(() => subscriber.out().includes('event: herald-resume'), 'the stream to open', subscriber);

    // Terminal 3: the pasted export lines, then both publish commands.
    const publisher = sh(`${exports.join('\n')}\n${commands(publish)}`);
    assert.equal(await publisher.exited, 0, publisher.err());
    const ids = publisher
      .out()
      .split('\n')
      .filter((l) => l !== '');
    assert.equal(ids.length, 2, `two ids, one per line: ${JSON.stringify(publisher.out())}`);
    assert.ok(publisher.out().endsWith('\n'));
    await until(() => subscriber.out().includes('data: Hello again'), 'both events', subscriber);
    assert.match(
      subscriber.out(),
      new RegExp(`id: ${ids[0]}\ndata: Hello\n\nid: ${ids[1]}\ndata: Hello again\n\n`),
    );

    process.kill(-subscriber.child.pid!, 'SIGTERM');
    // Ctrl-C in a terminal reaches the whole group; here the hub (npx's child, its pid in its log)
    // gets SIGTERM itself and stops gracefully.
    const pid = Number(/"pid":(\d+)/.exec(hub.out())![1]);
    process.kill(pid, 'SIGTERM');
    await until(() => /"msg":"stopped"/.test(hub.out()), 'the hub to stop', hub);
  });
});
