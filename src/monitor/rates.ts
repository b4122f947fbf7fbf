/** Per-second rates of the hub's cumulative counters between two readings. */
export type CounterRates = Record<
  | 'connectionsOpened'
  | 'connectionsClosed'
  | 'httpRequests'
  | 'eventsPublished'
  | 'eventsDelivered'
  | 'bytesOut',
  number
>;

const RATED = [
  'connectionsOpened',
  'connectionsClosed',
  'httpRequests',
  'eventsPublished',
  'eventsDelivered',
  'bytesOut',
] as const;

/** The cumulative counters the monitor rates: the hub's, and the HTTP layer's requests. */
export type RatedCounters = Record<(typeof RATED)[number], number>;

/** Remembers the previous reading of the counters and turns the difference into rates. */
export class RateMeter {
  #last: RatedCounters;
  #lastAt: number;

  constructor(counters: RatedCounters, now: number) {
    this.#last = pick(counters);
    this.#lastAt = now;
  }

  next(counters: RatedCounters, now: number): CounterRates {
    const seconds = (now - this.#lastAt) / 1000;
    const rates = {} as CounterRates;
    for (const key of RATED) {
      const delta = counters[key] - this.#last[key];
      rates[key] = seconds > 0 ? Math.round((delta / seconds) * 10) / 10 : 0;
    }
    this.#last = pick(counters);
    this.#lastAt = now;
    return rates;
  }
}

function pick(c: RatedCounters): RatedCounters {
  return {
    connectionsOpened: c.connectionsOpened,
    connectionsClosed: c.connectionsClosed,
    httpRequests: c.httpRequests,
    eventsPublished: c.eventsPublished,
    eventsDelivered: c.eventsDelivered,
    bytesOut: c.bytesOut,
  };
}
