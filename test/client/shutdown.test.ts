// After close(), no socket or timer of herald/client keeps a Node.js process alive: a child
// process connects, closes at a chosen moment, and must exit on its own.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ScriptedServer, startServer, stream } from './helpers.js';

const child = fileURLToPath(new URL('./fixtures/close-child.ts', import.meta.url));
// Generous: a child starting tsx takes a second or so; a leaked socket or 60 s timer takes far longer.
const EXIT_BOUND_MS = 15_000;

/** Runs the child; resolves with its exit code and output, or with `timedOut` after killing it. */
function runChild(
  url: string,
  when: string,
): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, url, when], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, EXIT_BOUND_MS);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

async function withServer<T>(
  respond: Parameters<typeof startServer>[0],
  body: (server: ScriptedServer) => Promise<T>,
): Promise<T> {
  const server = await startServer(respond);
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

describe('herald/client leaves nothing behind after close()', { concurrency: true }, () => {
  test('closed after an event, while the server keeps the stream open', { timeout: 30_000 }, () =>
    withServer(
      // A server that would hold the socket forever, with a comment every 100 ms.
      (res) => {
        stream(res, 'data: hello\n\n', 'open');
        const beat = setInterval(() => res.write(': beat\n\n'), 100);
        res.on('close', () => clearInterval(beat));
      },
      async (server) => {
        const result = await runChild(server.url(), 'message');
        assert.equal(result.timedOut, false, `child did not exit: ${result.stdout}${result.stderr}`);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, 'closed on message\n');
        assert.equal(server.requests[0]?.headers.authorization, 'Bearer child');
      },
    ),
  );

  test('closed while waiting 60 s to reconnect', { timeout: 30_000 }, () =>
    withServer(
      (res) => stream(res, 'retry: 60000\ndata: bye\n\n', 'end'),
      async (server) => {
        const result = await runChild(server.url(), 'reconnect-wait');
        assert.equal(result.timedOut, false, `child did not exit: ${result.stdout}${result.stderr}`);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, 'closed on error\n');
        assert.equal(server.requests.length, 1);
      },
    ),
  );

  test('closed while the server has not answered yet', { timeout: 30_000 }, () =>
    withServer(
      () => {}, // never answers
      async (server) => {
        const result = await runChild(server.url(), 'connecting');
        assert.equal(result.timedOut, false, `child did not exit: ${result.stdout}${result.stderr}`);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, 'closed on timeout\n');
        assert.equal(server.requests.length, 1);
      },
    ),
  );
});
