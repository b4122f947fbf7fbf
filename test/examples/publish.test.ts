/**
 * examples/publish/: the PHP, Python and shell publishers, each run as a child process against a real
 * hub on an ephemeral port, with the token and URL from the environment as a user would set them.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventsUrl, StreamReader, startHub, type TestHub } from '../support/hub.js';

const DIR = fileURLToPath(new URL('../../examples/publish/', import.meta.url));

const PUBLISHERS = [
  { name: 'PHP', command: 'php', file: 'publish.php' },
  { name: 'Python', command: 'python3', file: 'publish.py' },
  { name: 'shell (curl)', command: 'sh', file: 'publish.sh', needs: 'curl' },
] as const;

/** Why a publisher cannot run here. In CI a missing tool is a failure (.ci/run installs it), not a skip. */
function missing(...commands: string[]): string | undefined {
  for (const command of commands) {
    try {
      execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    } catch {
      if (process.env.CI) throw new Error(`${command} is not installed (.ci/run should have installed it)`);
      return `${command} is not installed`;
    }
  }
  return undefined;
}

function runPublisher(
  command: string,
  file: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const { PATH, HOME, LANG } = process.env;
    execFile(
      command,
      [file, ...args],
      { cwd: DIR, timeout: 20_000, env: { PATH, HOME, LANG: LANG ?? 'C.UTF-8', ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('examples/publish: publishers in other languages', { timeout: 60_000 }, () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub();
  });
  after(() => hub.close());

  // Characters a form or JSON encoder must carry: &, =, quotes, non-ASCII, a second line.
  const data = 'price: 12 & "more" = 5 €\nsecond line';

  for (const { name, command, file, ...rest } of PUBLISHERS) {
    const skip = missing(command, ...('needs' in rest ? [rest.needs] : []));
    describe(name, { skip }, () => {
      it('publishes with HERALD_TOKEN and HERALD_URL, prints the id, a subscriber receives the event', async () => {
        const topic = `backends/${command}`;
        const reader = await StreamReader.open(eventsUrl(hub, [topic]));
        await reader.ready();
        const result = await runPublisher(command, file, [topic, data], {
          HERALD_TOKEN: hub.token,
          HERALD_URL: hub.url,
        });
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stderr, '');
        assert.match(result.stdout, /^\S+\n$/);
        const id = result.stdout.trim();
        const [event] = await reader.take(1);
        assert.deepEqual(event, { type: 'message', data, lastEventId: id });
        reader.close();
      });

      it('a refused publish: the hub reason on one line of stderr, exit 1, nothing published', async () => {
        const topic = `backends/${command}/refused`;
        const reader = await StreamReader.open(eventsUrl(hub, [topic]));
        await reader.ready();
        const result = await runPublisher(command, file, [topic, 'x'], {
          HERALD_TOKEN: 'not-a-token',
          HERALD_URL: hub.url,
        });
        assert.equal(result.code, 1);
        assert.equal(result.stdout, '');
        assert.match(result.stderr, /^publish refused \(401\): the token is not a well-formed JWT[^\n]*\n$/);
        // A publish that does go through afterwards is the first event this subscriber sees.
        const id = await hub.publish(topic, 'after');
        const [event] = await reader.take(1);
        assert.deepEqual(event, { type: 'message', data: 'after', lastEventId: id });
        reader.close();
      });

      it('without HERALD_TOKEN: says what to set, exit 2; no hub: says so, exit 1', async () => {
        const noToken = await runPublisher(command, file, ['a', 'x'], { HERALD_URL: hub.url });
        assert.equal(noToken.code, 2);
        assert.match(noToken.stderr, /^set HERALD_TOKEN to a publisher token[^\n]*\n$/);
        const noHub = await runPublisher(command, file, ['a', 'x'], {
          HERALD_TOKEN: hub.token,
          HERALD_URL: 'http://127.0.0.1:1',
        });
        assert.equal(noHub.code, 1);
        assert.match(noHub.stderr, /^cannot reach the hub at http:\/\/127\.0\.0\.1:1[^\n]*\n$/);
      });
    });
  }
});
