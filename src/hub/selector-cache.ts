import { parseSelector, type TopicSelector } from './topic-selector.js';

const SIZE = 10_000;

/**
 * Parsed selectors are immutable, so streams asking for the same ones share them: thousands of
 * subscribers to `news/**` keep one object. Bounded, and one per hub.
 */
export class SelectorCache {
  readonly #cache = new Map<string, TopicSelector>();
  /** One-selector lists (what nearly every stream asks for), shared by the streams asking for them. */
  readonly #lists = new Map<TopicSelector, readonly TopicSelector[]>();

  /** The parsed selectors of a subscription, duplicates dropped; throws TopicError for a bad one. */
  list(texts: readonly string[]): readonly TopicSelector[] {
    if (texts.length !== 1) return [...new Set(texts)].map((text) => this.get(text));
    const selector = this.get(texts[0]!);
    let list = this.#lists.get(selector);
    if (list === undefined) {
      list = Object.freeze([selector]);
      if (this.#lists.size >= SIZE) this.#lists.clear();
      this.#lists.set(selector, list);
    }
    return list;
  }

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
