// herald serve --config FILE: JSON keys are the options in camelCase (a repeatable one also in the
// plural), below flags and environment variables; unknown keys and bad values are refused naming
// the key, a missing file is one line.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { StreamReader } from '../support/hub.js';
import { herald, Proc, stopAll } from './helpers.js';

const KEY = 'k'.repeat(40);
const folder = mkdtempSync(join(tmpdir(), 'herald-config-'));
after(() => {
  stopAll();
  rmSync(folder, { recursive: true, force: true });
});

let files = 0;
function configFile(content: unknown): string {
  const path = join(folder, `config-${files++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** `herald serve` with these arguments, once it listens (the key is in the config file). */
async function serve(args: string[], env: Record<string, string> = {}): Promise<{ proc: Proc; url: string }> {
  const proc = new Proc(['serve', ...args], { env });
  await proc.waitFor('stdout', /"port":\d+/);
  const port = proc.jsonLines().find((line) => typeof line.port === 'number')!.port as number;
  return { proc, url: `http://127.0.0.1:${port}` };
}

async function stop(proc: Proc): Promise<void> {
  proc.child.kill('SIGTERM');
  assert.equal((await proc.exit()).code, 0);
}

async function firstRetry(url: string, headers: Record<string, string> = {}): Promise<number | undefined> {
  const reader = await StreamReader.open(`${url}/events?topic=news`, headers);
  if (reader.status === 200) await reader.ready();
  reader.close();
  return reader.retries[0];
}

describe('herald serve --config', { timeout: 60_000 }, () => {
  it('takes options from the file, below flags and environment variables', async () => {
    const file = configFile({ jwtKey: KEY, retry: 1234, corsOrigins: ['https://app.example'] });
    const fromFile = await serve(['--config', file, '--port', '0']);
    try {
      assert.equal(await firstRetry(fromFile.url), 1234, 'the file sets --retry');
      const listed = await StreamReader.open(`${fromFile.url}/events?topic=news`, {
        origin: 'https://app.example',
      });
      listed.close();
      assert.equal(listed.status, 200);
      assert.equal(listed.headers['access-control-allow-origin'], 'https://app.example');
      const other = await StreamReader.open(`${fromFile.url}/events?topic=news`, {
        origin: 'https://else.example',
      });
      other.close();
      assert.equal(other.status, 403, 'corsOrigins (the plural of --cors-origin) is a list');
      assert.doesNotMatch(fromFile.proc.stdout, /"token":/, 'jwtKey from the file: no throwaway key');
    } finally {
      await stop(fromFile.proc);
    }
    const flagWins = await serve(['--config', file, '--port', '0', '--retry', '4321']);
    try {
      assert.equal(await firstRetry(flagWins.url), 4321, 'a flag beats the file');
    } finally {
      await stop(flagWins.proc);
    }
    // The file's port would be refused if it were read: the environment's is used instead.
    const envFile = configFile({ jwtKey: KEY, port: 'not a port', noQueryToken: true });
    const envWins = await serve([], { HERALD_CONFIG: envFile, HERALD_PORT: '0' });
    try {
      const query = await StreamReader.open(`${envWins.url}/events?topic=news&access_token=x`);
      query.close();
      assert.equal(query.status, 401, 'noQueryToken: true is the flag --no-query-token');
    } finally {
      await stop(envWins.proc);
    }
  });

  const refusals: [string, unknown, number, RegExp][] = [
    [
      'an unknown key, with the nearest name',
      { prot: 8080 },
      2,
      /"prot" in .*is not an option|"prot" is not an option of herald serve; did you mean "port"\?/,
    ],
    [
      'a bad value, named by its key',
      { historyEvents: 'many' },
      2,
      /"historyEvents" in .*must be a whole number/,
    ],
    [
      'a list where one value goes',
      { port: [8080] },
      2,
      /"port" must be a string or a number \(got a list\)/,
    ],
    [
      'a flag that is not a boolean',
      { noQueryToken: 'yes' },
      2,
      /"noQueryToken" must be true or false \(got a string\)/,
    ],
    ['JSON that is not an object', '[1, 2]', 2, /must hold one JSON object.*\(got a list\)/],
    ['malformed JSON', '{"port": 80,', 2, /is not valid JSON/],
  ];
  for (const [what, content, code, reason] of refusals) {
    it(`refuses ${what}: one line, exit ${code}`, async () => {
      const file = configFile(content);
      const run = await herald(['serve', '--config', file]);
      assert.equal(run.code, code, run.stderr);
      assert.match(run.stderr, reason);
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('a missing file is one line and a hint, exit 1', async () => {
    const run = await herald(['serve', '--config', join(folder, 'nowhere.json')]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^herald: cannot read config file .*nowhere\.json: no such file\nhint: /);
    assert.equal(run.stderr.trimEnd().split('\n').length, 2, run.stderr);
  });

  it('--help states the order', async () => {
    const run = await herald(['serve', '--help']);
    assert.match(
      run.stdout.replace(/\s+/g, ' '),
      /its flag, its environment variable, the --config file .* its default/,
    );
    assert.match(run.stdout.replace(/\s+/g, ' '), /--config FILE .*\[env: HERALD_CONFIG\]/);
  });
});
