import type { KeptRecords } from './event-log.js';

/** Kept records of a memory log: they live as long as the log object (hubs sharing it see them). */
export class MemoryKeptRecords implements KeptRecords {
  readonly #records = new Map<string, { until: number; value: string }>();

  async keep(key: string, value: string, until: number): Promise<void> {
    this.#records.set(key, { until, value });
  }

  async all(): Promise<Map<string, string>> {
    const now = Date.now();
    const records = new Map<string, string>();
    for (const [key, record] of this.#records) {
      if (record.until <= now) this.#records.delete(key);
      else records.set(key, record.value);
    }
    return records;
  }
}
