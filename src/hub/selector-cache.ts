import { parseSelector, type TopicSelector } from './topic-selector.js';

const SIZE = 10_000;

/**
 * Parsed selectors are immutable, so streams asking for the same ones share them: thousands of
 * subscribers to `news/**` keep one object. Bounded, and one per hub.
 */
export class SelectorCache {
  readonly #cache = new Map<string, TopicSelector>();

  /** The parsed selector; throws TopicError for a bad one. */
  get(text: string): TopicSelector {
    let selector = this.#cache.get(text);
    if (selector === undefined) {
      selector = parseSelector(text);
      if (this.#cache.size >= SIZE) this.#cache.clear();
      this.#cache.set(text, selector);
    }
    return selector;
  }
}
