// Unit tests for the encoder: exact wire text, refusals, and that no value can forge a field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRetry, encodeEvent, encodeEventBytes } from '../../src/protocol/encode.js';
import { run } from './helpers.js';

describe('encodeEvent: wire text', () => {
  it('writes one data line and the blank line that dispatches', () => {
    assert.equal(encodeEvent({ data: 'hi' }), 'data: hi\n\n');
  });
  it('writes empty data as one data line', () => {
    assert.equal(encodeEvent({ data: '' }), 'data: \n\n');
  });
  it('writes comment, event, id, retry, then data', () => {
    assert.equal(
      encodeEvent({ data: 'd', type: 't', id: '1', retry: 500, comment: 'c' }),
      ': c\nevent: t\nid: 1\nretry: 500\ndata: d\n\n',
    );
  });
  it('splits data on CRLF, lone CR and lone LF', () => {
    assert.equal(encodeEvent({ data: 'a\r\nb\rc\nd' }), 'data: a\ndata: b\ndata: c\ndata: d\n\n');
    assert.equal(encodeEvent({ data: '\r\n' }), 'data: \ndata: \n\n');
    assert.equal(encodeEvent({ data: '\n\r' }), 'data: \ndata: \ndata: \n\n');
    assert.equal(encodeEvent({ data: 'a\r' }), 'data: a\ndata: \n\n');
  });
  it('splits comments the same way, keeping their leading spaces', () => {
    assert.equal(encodeEvent({ data: 'x', comment: 'a\r\n b\r' }), ': a\n:  b\n: \ndata: x\n\n');
  });
  it('keeps leading spaces of values (the parser strips exactly one)', () => {
    assert.equal(encodeEvent({ data: ' x', type: ' t', id: ' 1' }), 'event:  t\nid:  1\ndata:  x\n\n');
  });
  it('encodeEventBytes is the UTF-8 of encodeEvent', () => {
    const event = { data: 'é😀\nx', type: 'ü' };
    assert.deepEqual(encodeEventBytes(event), Buffer.from(encodeEvent(event), 'utf8'));
  });
});

describe('encodeEvent: refusals', () => {
  for (const field of ['id', 'type'] as const) {
    for (const bad of ['a\nb', 'a\rb', 'a\0b', '\n', 'x\r\n']) {
      it(`refuses ${field} ${JSON.stringify(bad)} with a TypeError naming ${field}`, () => {
        assert.throws(() => encodeEvent({ data: 'x', [field]: bad }), {
          name: 'TypeError',
          message: new RegExp(`^${field} `),
        });
      });
    }
  }
  for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
    it(`refuses retry ${bad}`, () => {
      assert.throws(() => encodeEvent({ data: 'x', retry: bad }), { name: 'TypeError', message: /retry/ });
      assert.throws(() => checkRetry(bad), TypeError);
    });
  }
  it('accepts retry 0 and large safe integers', () => {
    assert.equal(encodeEvent({ data: '', retry: 0 }), 'retry: 0\ndata: \n\n');
    assert.match(encodeEvent({ data: '', retry: 2 ** 53 - 1 }), /^retry: 9007199254740991\n/);
  });
  it('refuses non-string values at run time', () => {
    assert.throws(() => encodeEvent({ data: 42 as unknown as string }), /data must be a string/);
    assert.throws(() => encodeEvent({ data: '', id: 1 as unknown as string }), /id must be a string/);
  });
});

describe('encodeEvent: no forged fields', () => {
  it('data holding field lines and blank lines stays one event of type message', () => {
    const data = 'x\n\nevent: evil\r\nid: 666\rretry: 1\n\ndata: y';
    const got = run([encodeEvent({ data })]);
    assert.deepEqual(got.events, [
      { type: 'message', data: 'x\n\nevent: evil\nid: 666\nretry: 1\n\ndata: y', lastEventId: '' },
    ]);
    assert.deepEqual(got.retries, []);
  });
  it('a comment cannot end the event or add fields', () => {
    const got = run([encodeEvent({ data: 'd', comment: 'c\n\ndata: forged\n\n' })]);
    assert.deepEqual(got.events, [{ type: 'message', data: 'd', lastEventId: '' }]);
    assert.deepEqual(got.comments, ['c', '', 'data: forged', '', '']);
  });
});
