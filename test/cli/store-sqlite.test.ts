// `herald serve --store sqlite:PATH` as real processes: SIGTERM and kill -9 between and during
// publishes, then a restart on the same file; a client resuming with an id from before the restart
// gets exactly what it missed, once each, in order, without herald-gap.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { StreamReader, token } from '../support/hub.js';
import { herald, stopAll } from './helpers.js';
import { gaps, post, publishSeq, range, seqs, startStoreHub, until } from './store-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-sqlite-cli-'));
after(() => {
  stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const TOPIC = 'durable/x';

/** The sequence part of a SQLite log id (`<epoch>-<seq>`). */
const sequenceOf = (id: string): number => Number(id.slice(id.indexOf('-') + 1));

function resume(url: string, lastEventId: string): Promise<StreamReader> {
  return StreamReader.open(`${url}/events?topic=${encodeURIComponent(TOPIC)}`, {
    'last-event-id': lastEventId,
  });
}

describe('herald serve --store sqlite: across restarts', { timeout: 60_000 }, () => {
  it('SIGTERM, restart on the same file: a resume from before gets exactly the missed events, no gap', async () => {
    const store = `sqlite:${join(dir, 'clean', 'herald.db')}`;
    const first = await startStoreHub(store);
    // The folder did not exist: the start says the store is new, not only that it is empty.
    assert.match(
      first.proc.stdout,
      new RegExp(
        `"msg":"store ${store}: created new, empty \\(and its folder ${join(dir, 'clean')}, which did not exist\\)"`,
      ),
    );
    const ids: string[] = [];
    for (const seq of range(0, 10)) ids.push(await publishSeq(first.url, TOPIC, seq));
    first.proc.child.kill('SIGTERM');
    assert.equal((await first.proc.exit(10_000)).code, 0, first.proc.stderr);

    const second = await startStoreHub(store);
    assert.match(second.proc.stdout, new RegExp(`"msg":"store ${store}: opened with 10 events"`));
    for (const seq of range(10, 15)) ids.push(await publishSeq(second.url, TOPIC, seq));
    const reader = await resume(second.url, ids[3]!);
    await reader.until(() => seqs(reader.events).length >= 11, 'the missed events');
    ids.push(await publishSeq(second.url, TOPIC, 15));
    await reader.until(() => seqs(reader.events).includes(15), 'the live event');
    await new Promise((resolve) => setTimeout(resolve, 200));
    reader.close();
    assert.deepEqual(seqs(reader.events), range(4, 16));
    assert.deepEqual(gaps(reader.events), []);
    // The ids the client saw are the ones the publishes were answered with, in log order.
    assert.deepEqual(
      reader.events.map((e) => e.lastEventId),
      ids.slice(4),
    );
    second.proc.child.kill('SIGTERM');
    assert.equal((await second.proc.exit(10_000)).code, 0);
  });

  it('kill -9 between and during publishes: every acknowledged event exactly once, in order', async () => {
    const store = `sqlite:${join(dir, 'crash.db')}`;
    /** seq -> id of every acknowledged publish. */
    const acked = new Map<number, string>();
    let next = 0;

    // Between publishes: all answered, then SIGKILL.
    const first = await startStoreHub(store);
    for (let i = 0; i < 20; i++) {
      const seq = next++;
      acked.set(seq, await publishSeq(first.url, TOPIC, seq));
    }
    first.proc.child.kill('SIGKILL');
    await first.proc.exit();

    // During publishes: four publishers in a loop, SIGKILL while requests are in flight.
    const second = await startStoreHub(store);
    let stop = false;
    let failed = 0;
    const publisher = async () => {
      for (let n = 0; !stop && n < 10_000; n++) {
        const seq = next++;
        try {
          const answer = await post(second.url, { topic: TOPIC, data: String(seq) }, 5000);
          if (answer.status === 200) acked.set(seq, answer.body.trimEnd());
        } catch {
          failed++;
          return; // the hub is gone
        }
      }
    };
    const publishers = [publisher(), publisher(), publisher(), publisher()];
    await until(() => acked.size >= 120, 'publishes on the second hub');
    second.proc.child.kill('SIGKILL');
    stop = true;
    await Promise.all(publishers);
    await second.proc.exit();
    assert.ok(failed > 0, 'some publishes were in flight when the hub was killed');

    const third = await startStoreHub(store);
    const early = acked.get(2)!;
    const reader = await resume(third.url, early);
    const after = next++;
    const afterId = await publishSeq(third.url, TOPIC, after);
    await reader.until(() => seqs(reader.events).includes(after), 'the event published after the restart');
    reader.close();

    const received = seqs(reader.events);
    assert.deepEqual(gaps(reader.events), [], 'no herald-gap');
    assert.equal(new Set(received).size, received.length, `nothing twice: ${received}`);
    // Every acknowledged event after the resume point, in the order of its id.
    const expected = [...acked.entries()]
      .filter(([seq]) => seq > 2)
      .sort((a, b) => sequenceOf(a[1]) - sequenceOf(b[1]))
      .map(([seq]) => seq);
    const receivedAcked = received.filter((seq) => acked.has(seq));
    assert.deepEqual(receivedAcked, expected);
    // Unacknowledged events that did commit may appear, once; ids keep increasing across restarts.
    const ids = reader.events.filter((e) => !e.type.startsWith('herald-')).map((e) => e.lastEventId);
    assert.equal(ids.at(-1), afterId);
    third.proc.child.kill('SIGTERM');
    assert.equal((await third.proc.exit(10_000)).code, 0);
  });

  it('restarted with --private-topics: events stored public under it are private on replay', async () => {
    const store = `sqlite:${join(dir, 'namespaces.db')}`;
    const first = await startStoreHub(store);
    const start = await publishSeq(first.url, 'open/start', 0);
    await publishSeq(first.url, 'secret/old', 1);
    await publishSeq(first.url, 'open/fence', 2);
    first.proc.child.kill('SIGTERM');
    assert.equal((await first.proc.exit(10_000)).code, 0, first.proc.stderr);

    const second = await startStoreHub(store, ['--private-topics', 'secret/**']);
    const replay = async (headers: Record<string, string>): Promise<number[]> => {
      const reader = await StreamReader.open(`${second.url}/events?topic=**`, {
        'last-event-id': start,
        ...headers,
      });
      await reader.until(() => seqs(reader.events).includes(2), 'the replay');
      reader.close();
      return seqs(reader.events);
    };
    assert.deepEqual(await replay({}), [2], 'anonymous: not the event under the namespace');
    const jwt = await token({ subscribe: ['secret/**'] });
    assert.deepEqual(await replay({ authorization: `Bearer ${jwt}` }), [1, 2]);
    second.proc.child.kill('SIGTERM');
    assert.equal((await second.proc.exit(10_000)).code, 0);
  });

  it('an unwritable or corrupt file exits 1 with one line; a malformed URL exits 2', async () => {
    const corrupt = join(dir, 'corrupt.db');
    writeFileSync(
      corrupt,
      'this is not a database, just text that is long enough to have a header'.repeat(20),
    );
    const bad = await herald(['serve', '--port', '0', '--store', `sqlite:${corrupt}`]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /^herald: SQLite log .*corrupt\.db: not a SQLite database, or corrupt\n$/);
    assert.equal(bad.stderr.trim().split('\n').length <= 2, true, bad.stderr);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');

    const blocked = join(dir, 'a-file');
    writeFileSync(blocked, '');
    const unwritable = await herald(['serve', '--port', '0', '--store', `sqlite:${join(blocked, 'x.db')}`]);
    assert.equal(unwritable.code, 1, unwritable.stderr);
    assert.doesNotMatch(unwritable.stderr, /\n\s+at /);

    const malformed = await herald(['serve', '--port', '0', '--store', 'sqlite://host/x.db']);
    assert.equal(malformed.code, 2, malformed.stderr);
    assert.match(malformed.stderr, /--store/);
    const unknown = await herald(['serve', '--port', '0'], { env: { HERALD_STORE: 'postgres://x' } });
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /HERALD_STORE.*unknown store/);

    const age = await herald(['serve', '--port', '0', '--history-age', 'soon']);
    assert.equal(age.code, 2, age.stderr);
    assert.match(age.stderr, /--history-age/);
    // The value is quoted once, not once by the reason and again after it.
    const typo = await herald(['serve', '--port', '0', '--history-age', '5x']);
    assert.equal(typo.code, 2, typo.stderr);
    assert.equal(typo.stderr.split('"5x"').length - 1, 1, typo.stderr);
    const short = await herald(['serve', '--port', '0', '--history-age', '0s']);
    assert.match(short.stderr, /--history-age: it must be at least 1 s \(got "0s"\)/);

    const help = await herald(['serve', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--store URL/);
    assert.match(help.stdout, /sqlite:PATH/);
    assert.match(help.stdout, /redis:\/\/\[user:pass@\]host:port/);
    assert.match(help.stdout, /--history-age DURATION/);
  });
});
