import { randomBytes } from 'node:crypto';

/**
 * Ids of the form `<epoch>-<seq>`, used by the memory and SQLite logs: the epoch is new for every
 * log (every process for memory, every database file for SQLite), so an id of another log is
 * recognised as unknown (a gap), never confused with one of this log.
 */
export class EpochIds {
  /** A fresh epoch: the time in base 36 and random bytes (`randomBytes` hex digits). */
  static newEpoch(randomBytesCount: number): string {
    return `${Date.now().toString(36)}${randomBytes(randomBytesCount).toString('hex')}`;
  }

  constructor(readonly epoch: string) {}

  id(seq: number): string {
    return `${this.epoch}-${seq}`;
  }

  /** The sequence number of an id of this log, or undefined for a foreign or malformed id. */
  seqOf(id: string): number | undefined {
    const dash = id.lastIndexOf('-');
    if (dash < 0 || id.slice(0, dash) !== this.epoch) return undefined;
    const text = id.slice(dash + 1);
    if (!/^\d{1,15}$/.test(text)) return undefined;
    return Number(text);
  }

  /** Orders two ids; foreign or malformed ones sort first. */
  compare(a: string, b: string): number {
    return (this.seqOf(a) ?? -1) - (this.seqOf(b) ?? -1);
  }
}
