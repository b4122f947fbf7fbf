import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PUBLISH_BODY_FIELDS } from '../../src/http/publish-body.js';
import { PUBLISH_INPUT_FIELDS } from '../../src/hub/event-rules.js';
import { refuseUnknownPublishFields } from '../../src/hub/publish-fields.js';
import { HeraldError } from '../../src/hub/refusal.js';

const refusal = (fields: Iterable<string>, known: readonly string[]): string => {
  try {
    refuseUnknownPublishFields(fields, known);
  } catch (error) {
    assert.ok(error instanceof HeraldError);
    assert.equal(error.code, 'invalid');
    return error.message;
  }
  assert.fail('no refusal');
};

describe('refuseUnknownPublishFields', () => {
  it('lets known fields through, repeated or in any order', () => {
    refuseUnknownPublishFields(['private', 'topic', 'topic', 'data'], PUBLISH_BODY_FIELDS);
    refuseUnknownPublishFields([], PUBLISH_BODY_FIELDS);
  });

  const cases: Array<[string, string[], readonly string[], string]> = [
    ['a near miss', ['topic', 'privat'], PUBLISH_BODY_FIELDS, 'did you mean "private"?'],
    ['another case', ['Topic'], PUBLISH_BODY_FIELDS, 'did you mean "topic"?'],
    ["the wire's name in the library", ['topic'], PUBLISH_INPUT_FIELDS, 'did you mean "topics"?'],
    ["the library's name on the wire", ['topics'], PUBLISH_BODY_FIELDS, 'did you mean "topic"?'],
    [
      'nothing close, on the wire',
      ['foo'],
      PUBLISH_BODY_FIELDS,
      'the fields are topic, data, type, retry, private',
    ],
    [
      'nothing close, in the library',
      ['foo'],
      PUBLISH_INPUT_FIELDS,
      'the fields are topics, data, type, retry, private, idempotencyKey',
    ],
  ];
  for (const [name, fields, known, hint] of cases) {
    it(`refuses ${name}, suggesting from the names of its own surface`, () => {
      assert.equal(
        refusal(fields, known),
        `${JSON.stringify(fields.at(-1))} is not a publish field; ${hint}`,
      );
    });
  }

  it('quotes the field escaped and cut, on one line', () => {
    const message = refusal([`x\r\nevent: forged${'y'.repeat(500)}`], PUBLISH_BODY_FIELDS);
    assert.ok(!/[\r\n]/.test(message));
    assert.ok(message.startsWith('"x\\r\\nevent: forged'));
    assert.ok(message.length < 200, message);
  });

  it('stops at the first unknown field', () => {
    let read = 0;
    function* fields(): Generator<string> {
      yield 'topic';
      for (;;) {
        read++;
        yield `unknown${read}`;
      }
    }
    assert.match(refusal(fields(), PUBLISH_BODY_FIELDS), /^"unknown1" is not a publish field/);
    assert.equal(read, 1);
  });
});
