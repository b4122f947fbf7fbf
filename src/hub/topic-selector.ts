/**
 * Topics are `/`-separated paths (`stocks/ACME`). A selector is a topic in which a segment may be
 * `*` (exactly one segment) and the last segment may be `**` (any number of segments, zero
 * included). As MQTT brokers do, a selector that starts with a wildcard never matches a topic whose
 * first segment starts with `$` (`$SYS/...`): system topics must be asked for by name.
 */
import { quote } from './refusal.js';

export const MAX_TOPIC_LENGTH = 256;
const MAX_SEGMENTS = 32;
// Control characters and the characters that have meaning in selectors are not allowed in names.
const BAD_CHARACTER = /[\u0000-\u001f\u007f*]/;

export class TopicError extends Error {}

/** System topics (`$SYS/...`) belong to the hub: never published over HTTP, never matched by a leading wildcard. */
export function isSystemTopic(topic: string): boolean {
  return topic.startsWith('$');
}

/** A checked selector, split once into segments. */
export interface TopicSelector {
  readonly text: string;
  readonly segments: readonly string[];
}

function checkPath(kind: string, text: string): string[] {
  if (typeof text !== 'string' || text.length === 0) throw new TopicError(`${kind} must not be empty`);
  if (text.length > MAX_TOPIC_LENGTH) {
    throw new TopicError(`${kind} is longer than ${MAX_TOPIC_LENGTH} characters`);
  }
  const segments = text.split('/');
  if (segments.length > MAX_SEGMENTS) throw new TopicError(`${kind} has more than ${MAX_SEGMENTS} segments`);
  if (segments.some((s) => s.length === 0)) {
    throw new TopicError(`${kind} ${quote(text)} has an empty segment (leading, trailing or double "/")`);
  }
  return segments;
}

/** Checks a topic an event is published to (no wildcards). Throws TopicError with the reason. */
export function parseTopic(text: string): string[] {
  const segments = checkPath('topic', text);
  for (const s of segments) {
    if (BAD_CHARACTER.test(s)) {
      throw new TopicError(
        `topic ${quote(text)} may not contain "*" or control characters (wildcards are for subscribing)`,
      );
    }
  }
  return segments;
}

/** Checks a selector. Throws TopicError with the reason. */
export function parseSelector(text: string): TopicSelector {
  const segments = checkPath('topic selector', text);
  segments.forEach((s, i) => {
    if (s === '*') return;
    if (s === '**') {
      if (i !== segments.length - 1)
        throw new TopicError(`"**" may only be the last segment, in ${quote(text)}`);
      return;
    }
    if (BAD_CHARACTER.test(s)) {
      throw new TopicError(
        `${quote(text)}: "*" must be a whole segment, and control characters are not allowed`,
      );
    }
  });
  return { text, segments };
}

/** Does `selector` match the topic (already split into segments)? */
export function selectorMatches(selector: TopicSelector, topic: readonly string[]): boolean {
  const sel = selector.segments;
  if ((sel[0] === '*' || sel[0] === '**') && topic[0] !== undefined && isSystemTopic(topic[0])) return false;
  for (let i = 0; i < sel.length; i++) {
    const s = sel[i];
    if (s === '**') return true;
    if (i >= topic.length) return false;
    if (s !== '*' && s !== topic[i]) return false;
  }
  return sel.length === topic.length;
}

/** Topics split into segments (once per event: the index walk and every check share them). */
export type SplitTopics = readonly (readonly string[])[];

export function splitTopics(topics: readonly string[]): SplitTopics {
  return topics.map((topic) => topic.split('/'));
}

/** Does any of the selectors match any of the topics (each already split into segments)? */
export function anySelectorMatchesSplit(selectors: readonly TopicSelector[], topics: SplitTopics): boolean {
  for (const segments of topics) {
    for (const selector of selectors) if (selectorMatches(selector, segments)) return true;
  }
  return false;
}

/** Does any of the selectors match any of the topics? */
export function anySelectorMatches(selectors: readonly TopicSelector[], topics: readonly string[]): boolean {
  return anySelectorMatchesSplit(selectors, splitTopics(topics));
}

/** Does `outer` match every topic `inner` matches (so a grant of `outer` covers a query of `inner`)? */
export function selectorCovers(outer: TopicSelector, inner: TopicSelector): boolean {
  const o = outer.segments;
  const i = inner.segments;
  for (let n = 0; n < o.length; n++) {
    const s = o[n];
    if (s === '**') return !(n === 0 && i[0] !== undefined && isSystemTopic(i[0]));
    if (n >= i.length || i[n] === '**') return false;
    if (s === '*') {
      if (n === 0 && isSystemTopic(i[0]!)) return false;
      continue;
    }
    if (s !== i[n]) return false;
  }
  return o.length === i.length;
}
