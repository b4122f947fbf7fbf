// The hub's log as `herald serve` writes it (pino JSON on stdout), read from a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const LOG_MODULE = fileURLToPath(new URL('../../src/cli/log.ts', import.meta.url));
const CLIENT_MODULE = fileURLToPath(new URL('../../src/log/redis/client.ts', import.meta.url));

describe("the hub's log", () => {
  it("says an error's message once, its cause apart (not 'offline: offline')", () => {
    const script = `
      const { createLogger } = await import(${JSON.stringify(LOG_MODULE)});
      const { unavailable } = await import(${JSON.stringify(CLIENT_MODULE)});
      const offline = new Error('The client is offline');
      createLogger('info').error({ err: unavailable(offline) }, 'a store request failed');`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const record = JSON.parse(run.stdout.trim()) as { err: { message: string; cause?: { message: string } } };
    assert.equal(record.err.message, 'Redis is unavailable: The client is offline');
    assert.equal(record.err.cause?.message, 'The client is offline');
  });
});
