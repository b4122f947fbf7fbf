import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TopicIndex } from '../../src/hub/topic-index.js';
import { parseSelector, parseTopic, selectorMatches, TopicError } from '../../src/hub/topic-selector.js';

const matches = (selector: string, topic: string) =>
  selectorMatches(parseSelector(selector), topic.split('/'));

describe('topic selectors', () => {
  const table: Array<[string, string, boolean]> = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['a/b', 'a/b/c', false],
    ['a/*', 'a/b', true],
    ['a/*', 'a', false],
    ['a/*', 'a/b/c', false],
    ['*/b', 'a/b', true],
    ['a/*/c', 'a/x/c', true],
    ['a/*/c', 'a/x/y/c', false],
    ['a/**', 'a', true],
    ['a/**', 'a/b', true],
    ['a/**', 'a/b/c/d', true],
    ['a/**', 'b/a', false],
    ['**', 'anything/at/all', true],
    ['*', 'one', true],
    ['*', 'one/two', false],
    ['a/*/**', 'a', false],
    ['a/*/**', 'a/b', true],
    ['**', '$SYS/stats', false],
    ['*/stats', '$SYS/stats', false],
    ['$SYS/**', '$SYS/stats', true],
    ['$SYS/*', '$SYS/stats', true],
    ['$SYS/stats', '$SYS/stats', true],
  ];
  for (const [selector, topic, expected] of table) {
    it(`${selector} ${expected ? 'matches' : 'does not match'} ${topic}`, () => {
      assert.equal(matches(selector, topic), expected);
    });
  }

  it('refuses malformed selectors and topics with a reason', () => {
    for (const bad of [
      '',
      '/a',
      'a/',
      'a//b',
      'a/**/b',
      'a/b*',
      'a/*b',
      'x\u0000y',
      'a\nb',
      'z'.repeat(257),
    ]) {
      assert.throws(() => parseSelector(bad), TopicError, JSON.stringify(bad));
    }
    for (const bad of ['a/*', 'a/**', '*', 'a\rb']) assert.throws(() => parseTopic(bad), TopicError);
    assert.deepEqual(parseTopic('a/b/c'), ['a', 'b', 'c']);
  });
});

describe('the topic index agrees with selectorMatches', () => {
  const segment = fc.constantFrom('a', 'b', 'c', '$SYS');
  const topic = fc.array(segment, { minLength: 1, maxLength: 4 });
  const selector = fc
    .tuple(
      fc.array(fc.constantFrom('a', 'b', 'c', '$SYS', '*'), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
    )
    .map(([segments, rest]) => (rest ? [...segments, '**'] : segments).join('/'));

  it('finds exactly the subscriptions whose selector matches, for random selectors and topics', () => {
    fc.assert(
      fc.property(
        fc.array(selector, { minLength: 1, maxLength: 12 }),
        fc.array(topic, { maxLength: 8 }),
        (selectors, topics) => {
          const index = new TopicIndex<number>();
          for (const [i, s] of selectors.entries()) index.add(parseSelector(s), i);
          for (const t of topics) {
            const found = new Set<number>();
            index.forEachMatch(t, (i) => found.add(i));
            const expected = new Set(selectors.flatMap((s, i) => (matches(s, t.join('/')) ? [i] : [])));
            assert.deepEqual([...found].sort(), [...expected].sort(), `topic ${t.join('/')}`);
          }
          // Removing every subscription leaves nothing behind.
          for (const [i, s] of selectors.entries()) index.remove(parseSelector(s), i);
          for (const t of topics)
            index.forEachMatch(t, () => assert.fail('removed subscription still matched'));
          assert.ok(index.isEmpty(), 'every node pruned');
        },
      ),
      { numRuns: 500 },
    );
  });
});
