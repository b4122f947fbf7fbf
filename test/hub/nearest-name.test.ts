import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nearestName } from '../../src/hub/nearest-name.js';

const WIRE = ['topic', 'data', 'type', 'retry', 'private'];
const LIBRARY = ['topics', 'data', 'type', 'retry', 'private', 'idempotencyKey'];

describe('nearestName', () => {
  const table: Array<[string, string, readonly string[], string | undefined]> = [
    ['a dropped last letter (a prefix)', 'privat', WIRE, 'private'],
    ['a prefix', 'dat', WIRE, 'data'],
    ['one letter that starts one name', 'd', WIRE, 'data'],
    ['a prefix of two names', 't', WIRE, undefined],
    ['another case', 'Topic', WIRE, 'topic'],
    ['all capitals', 'PRIVATE', WIRE, 'private'],
    ['a name of the other surface', 'topics', WIRE, 'topic'],
    ['the wire name in the library', 'topic', LIBRARY, 'topics'],
    ['a swap of neighbours', 'tpoic', WIRE, 'topic'],
    ['a swap in a short word', 'dtaa', WIRE, 'data'],
    ['a substitution', 'retru', WIRE, 'retry'],
    ['an inserted letter', 'priivate', WIRE, 'private'],
    ['two typos in a long word', 'prvat', WIRE, 'private'],
    ['two typos in a short word', 'dxtx', WIRE, undefined],
    ['three typos', 'pxvxte', WIRE, undefined],
    ['a name in camelCase, typed in lower case', 'idempotencykey', LIBRARY, 'idempotencyKey'],
    ['a misspelled camelCase name', 'idempotenceKey', LIBRARY, 'idempotencyKey'],
    ['nothing close', 'foo', WIRE, undefined],
    ['an empty word', '', WIRE, undefined],
    ['no names', 'topic', [], undefined],
    ['equally close to two names', 'tope', ['tape', 'tops'], undefined],
    ['the closer of two', 'datx', ['data', 'dart'], 'data'],
    ['a typo away from one, two from the other', 'retyr', ['retry', 'rotor'], 'retry'],
  ];
  for (const [name, word, names, expected] of table) {
    it(`${name}: ${JSON.stringify(word)} -> ${expected === undefined ? 'none' : JSON.stringify(expected)}`, () => {
      assert.equal(nearestName(word, names), expected);
    });
  }

  it('answers a known name with itself, in any case', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LIBRARY), fc.boolean(), (name, upper) => {
        assert.equal(nearestName(upper ? name.toUpperCase() : name, LIBRARY), name);
      }),
    );
  });

  it('answers one of the names or nothing, whatever the word', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (word) => {
        const found = nearestName(word, WIRE);
        assert.ok(found === undefined || WIRE.includes(found));
      }),
    );
  });

  it('finds a name with any two neighbours swapped, when no other name is as close', () => {
    fc.assert(
      fc.property(fc.constantFrom('topic', 'retry', 'private'), fc.nat(), (name, at) => {
        const i = at % (name.length - 1);
        const swapped = name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2);
        assert.equal(nearestName(swapped, WIRE), name);
      }),
    );
  });

  it('costs next to nothing for a word far longer than every name', () => {
    const long = 'p'.repeat(1_000_000);
    const started = performance.now();
    assert.equal(nearestName(long, WIRE), undefined);
    assert.ok(performance.now() - started < 1000, 'no distance table of a million rows (seconds)');
  });
});
