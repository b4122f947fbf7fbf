/** `npm run example:chat` / `example:ticker` on a taken port: one line saying what to do, exit 1. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the examples on a taken port', { timeout: 60_000 }, () => {
  const blocker = createServer();
  let port = 0;
  before(async () => {
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    port = (blocker.address() as { port: number }).port;
  });
  after(() => blocker.close());

  for (const name of ['chat', 'ticker']) {
    it(`${name}: "port N is in use", no stack trace, exit 1`, async () => {
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', `examples/${name}/server.ts`],
          { cwd: ROOT, timeout: 30_000, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' } },
          (error, stdout, stderr) =>
            resolve({ code: error === null ? 0 : (error.code as number | null), stdout, stderr }),
        );
      });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(
        result.stderr,
        `${name}: port ${port} is in use: stop the other process or run with PORT=N\n`,
      );
      assert.equal(result.stdout, '');
    });
  }
});
