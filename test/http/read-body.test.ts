import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { readRequestLimited } from '../../src/http/read-body.js';
import { HeraldError } from '../../src/hub/refusal.js';

describe('readRequestLimited (node:http request bodies)', () => {
  it('collects every chunk, in order', async () => {
    const req = new PassThrough();
    const body = readRequestLimited(req, 100, () => {});
    req.write('topic=a');
    req.write('&data=');
    req.end('x');
    assert.equal((await body).toString(), 'topic=a&data=x');
  });

  it('refuses a body past the limit with too-large, and stops reading', async () => {
    const req = new PassThrough();
    let stopped = false;
    const body = readRequestLimited(req, 8, () => {
      stopped = true;
    });
    req.write('12345');
    req.write('6789');
    await assert.rejects(
      body,
      (error: unknown) => error instanceof HeraldError && error.code === 'too-large',
    );
    assert.ok(stopped);
  });

  it('rejects with aborted when the request closes before its end', async () => {
    const req = new PassThrough();
    const body = readRequestLimited(req, 100, () => {});
    req.write('topic=');
    req.destroy();
    await assert.rejects(body, { message: 'aborted' });
  });

  it('rejects at once for a request that closed before the read began (and does not wait forever)', async () => {
    const req = new PassThrough();
    req.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    await assert.rejects(
      readRequestLimited(req, 100, () => {}),
      { message: 'aborted' },
    );
  });

  it('answers an empty body for a request already read to its end', async () => {
    const req = new PassThrough();
    req.end();
    req.resume();
    await new Promise((resolve) => req.once('end', resolve));
    assert.equal((await readRequestLimited(req, 100, () => {})).length, 0);
  });
});
