// A stand-in for any backend: simulated stock prices, published to the hub with plain HTTP POSTs
// (one per symbol per tick) carrying a publisher token. Nothing here is Herald-specific but the URL.

export const SYMBOLS = ['ACME', 'INIT', 'GLOBX', 'HOOLI', 'UMBR', 'WAYNE'] as const;

export interface Quote {
  symbol: string;
  price: number;
  t: number;
}

export interface PublisherOptions {
  /** The hub, e.g. http://127.0.0.1:8081 */
  url: string;
  /** A JWT whose herald.publish claim covers stocks/* */
  token: string;
  symbols?: readonly string[];
  intervalMs?: number;
}

/** Starts publishing; returns a function that stops it. */
export function startPublisher(options: PublisherOptions): () => void {
  const symbols = options.symbols ?? SYMBOLS;
  const prices = new Map(symbols.map((s, i) => [s, 40 + i * 27]));
  const tick = () => {
    const t = Date.now(); // one time for the whole tick, so the page's points line up
    for (const symbol of symbols) {
      // A random walk, about 0.5% a tick.
      const price = Math.max(1, (prices.get(symbol) ?? 100) * (1 + (Math.random() - 0.5) * 0.01));
      prices.set(symbol, price);
      const quote: Quote = { symbol, price: Math.round(price * 100) / 100, t };
      fetch(`${options.url}/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ topic: `stocks/${symbol}`, type: 'price', data: quote }),
      })
        .then((r) => (r.ok ? undefined : r.text().then((t) => console.error(`publish ${r.status}: ${t}`))))
        .catch(() => {}); // the hub is restarting or gone: the next tick tries again
    }
  };
  const timer = setInterval(tick, options.intervalMs ?? 500);
  return () => clearInterval(timer);
}
