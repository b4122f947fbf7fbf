// `herald serve --tls-cert F --tls-key F`: HTTPS with HTTP/2 and HTTP/1.1 on one port.
import assert from 'node:assert/strict';
import { connect, constants } from 'node:http2';
import { request } from 'node:https';
import { after, describe, it } from 'node:test';
import { makeCertificate, opensslUnavailable } from '../support/tls.js';
import { Proc, stopAll } from './helpers.js';

after(stopAll);

describe('herald serve over HTTPS', { skip: opensslUnavailable, timeout: 30_000 }, () => {
  it('serves HTTP/2 and HTTP/1.1 on one port, says https://, and ends HTTP/2 streams with retry: on SIGTERM', async () => {
    const certificate = makeCertificate();
    try {
      const proc = new Proc([
        'serve',
        '--port',
        '0',
        '--tls-cert',
        certificate.certFile,
        '--tls-key',
        certificate.keyFile,
      ]);
      await proc.waitFor('stdout', /"port":\d+/);
      const started = proc.jsonLines().find((line) => typeof line.port === 'number')!;
      const port = started.port as number;
      assert.equal(started.url, `https://127.0.0.1:${port}/`);
      assert.equal(started.http2, true);
      await proc.waitFor('stderr', /^export HERALD_URL=https:\/\/127\.0\.0\.1:\d+$/m);

      // HTTP/1.1 on the same port.
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          `https://127.0.0.1:${port}/healthz`,
          { ca: certificate.cert, agent: false },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 200);

      // HTTP/2: a stream, then SIGTERM.
      const session = connect(`https://127.0.0.1:${port}`, { ca: certificate.cert });
      session.on('error', () => {});
      const stream = session.request({ ':path': '/events?topic=tls/x', accept: 'text/event-stream' });
      let text = '';
      stream.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      const ended = new Promise<void>((resolve) => stream.on('end', resolve));
      const deadline = Date.now() + 5000;
      while (!text.includes('herald-resume') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.match(text, /^event: herald-resume\n/);
      proc.child.kill('SIGTERM');
      await ended;
      assert.match(text, /retry: \d+\n\n$/);
      assert.equal(stream.rstCode, constants.NGHTTP2_NO_ERROR);
      assert.equal((await proc.exit()).code, 0);
      session.destroy();
    } finally {
      certificate.remove();
    }
  });
});
