import { isSystemTopic, type TopicSelector } from './topic-selector.js';

interface Node<T> {
  /** Items whose selector ends exactly here. */
  readonly items: Set<T>;
  /** Items whose selector ends here with `**`. */
  readonly rest: Set<T>;
  readonly children: Map<string, Node<T>>;
  star: Node<T> | undefined;
}

function newNode<T>(): Node<T> {
  return { items: new Set(), rest: new Set(), children: new Map(), star: undefined };
}

/**
 * A trie of subscribed selectors, so that fan-out costs the depth of a topic, not the number of
 * subscriptions. Matching agrees with `selectorMatches` (tested against it).
 */
export class TopicIndex<T> {
  readonly #root: Node<T> = newNode();

  add(selector: TopicSelector, item: T): void {
    let node = this.#root;
    for (const segment of selector.segments) {
      if (segment === '**') {
        node.rest.add(item);
        return;
      }
      let next: Node<T> | undefined;
      if (segment === '*') {
        next = node.star ??= newNode();
      } else {
        next = node.children.get(segment);
        if (next === undefined) {
          next = newNode();
          node.children.set(segment, next);
        }
      }
      node = next;
    }
    node.items.add(item);
  }

  remove(selector: TopicSelector, item: T): void {
    // Walk down remembering the path, then prune nodes left empty.
    const path: Array<[Node<T>, string]> = [];
    let node = this.#root;
    for (const segment of selector.segments) {
      if (segment === '**') {
        node.rest.delete(item);
        this.#prune(path, node);
        return;
      }
      const next = segment === '*' ? node.star : node.children.get(segment);
      if (next === undefined) return;
      path.push([node, segment]);
      node = next;
    }
    node.items.delete(item);
    this.#prune(path, node);
  }

  #prune(path: Array<[Node<T>, string]>, node: Node<T>): void {
    while (path.length > 0) {
      if (node.items.size > 0 || node.rest.size > 0 || node.children.size > 0 || node.star) return;
      const [parent, segment] = path.pop()!;
      if (segment === '*') parent.star = undefined;
      else parent.children.delete(segment);
      node = parent;
    }
  }

  /** Calls `visit` for every item with a selector matching `topic`; an item may be visited more than once. */
  forEachMatch(topic: readonly string[], visit: (item: T) => void): void {
    // System topics ($SYS/...) are matched by name only: wildcards at the root never reach them.
    const system = topic[0] !== undefined && isSystemTopic(topic[0]);
    this.#walk(this.#root, topic, 0, visit, system);
  }

  #walk(node: Node<T>, topic: readonly string[], depth: number, visit: (item: T) => void, system: boolean) {
    const rootGuard = system && depth === 0;
    if (!rootGuard) for (const item of node.rest) visit(item);
    if (depth === topic.length) {
      for (const item of node.items) visit(item);
      return;
    }
    const child = node.children.get(topic[depth]!);
    if (child !== undefined) this.#walk(child, topic, depth + 1, visit, system);
    if (node.star !== undefined && !rootGuard) this.#walk(node.star, topic, depth + 1, visit, system);
  }

  /** True when nothing is subscribed (every node pruned). */
  isEmpty(): boolean {
    const root = this.#root;
    return root.items.size === 0 && root.rest.size === 0 && root.children.size === 0 && !root.star;
  }
}
