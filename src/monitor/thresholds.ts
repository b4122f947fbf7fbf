import type { StatsSnapshot } from './snapshot.js';

/** Values a threshold rule can watch, by name, read from a snapshot. */
export const METRICS = {
  /** 1-minute load average divided by the number of CPUs. */
  loadPerCpu: (s) => (s.cpus > 0 ? s.load[0] / s.cpus : s.load[0]),
  load1: (s) => s.load[0],
  /** Fraction (0..1) of system memory in use. */
  memoryUsed: (s) => s.memory.systemUsed,
  /** Resident memory of the hub process, bytes. */
  processRss: (s) => s.memory.rss,
  /** Open streams as a fraction (0..1) of the hub's maxConnections. */
  connectionsUsed: (s) => (s.connections.max > 0 ? s.connections.now / s.connections.max : 0),
  connections: (s) => s.connections.now,
  cpuProcess: (s) => s.cpu.process,
  cpuSystem: (s) => s.cpu.system,
  slowConsumerDisconnects: (s) => s.slowConsumerDisconnects,
} satisfies Record<string, (snapshot: StatsSnapshot) => number>;

export type MetricName = keyof typeof METRICS;

/**
 * A rule: `warning` when the value reaches `warn`, `recovered` when it gets back past `clear`.
 * The gap between the two is the hysteresis that keeps a value hovering at the line from flapping.
 * With `warn >= clear` high values are bad; with `warn < clear`, low values are.
 */
export interface ThresholdRule {
  /** Names the rule in events and in `warnings` of the snapshot. */
  name: string;
  metric: MetricName | ((snapshot: StatsSnapshot) => number | undefined);
  warn: number;
  clear: number;
  /** Shown in messages; defaults to the metric's name. */
  label?: string;
}

export const DEFAULT_THRESHOLDS: readonly ThresholdRule[] = [
  { name: 'load', metric: 'loadPerCpu', warn: 1.5, clear: 1.0, label: 'load per CPU' },
  { name: 'memory', metric: 'memoryUsed', warn: 0.9, clear: 0.8, label: 'system memory used' },
  {
    name: 'connections',
    metric: 'connectionsUsed',
    warn: 0.8,
    clear: 0.7,
    label: 'connections / maxConnections',
  },
];

/** The JSON of a `warning` or `recovered` event on `$SYS/warnings`. */
export interface ThresholdEvent {
  kind: 'warning' | 'recovered';
  rule: string;
  value: number;
  warn: number;
  clear: number;
  t: number;
  message: string;
  /** On `recovered`: how long the warning lasted (ms). */
  durationMs?: number;
}

function format(n: number): string {
  return Math.abs(n) >= 100 ? String(Math.round(n)) : String(Math.round(n * 100) / 100);
}

/** Tracks each rule's level across ticks and reports only the crossings. */
export class ThresholdWatcher {
  readonly #rules: readonly ThresholdRule[];
  /** Rule name -> when its warning began. */
  readonly #active = new Map<string, number>();

  constructor(rules: readonly ThresholdRule[]) {
    const names = new Set<string>();
    for (const rule of rules) {
      if (names.has(rule.name)) throw new RangeError(`two threshold rules are named "${rule.name}"`);
      names.add(rule.name);
      if (!Number.isFinite(rule.warn) || !Number.isFinite(rule.clear))
        throw new RangeError(`threshold rule "${rule.name}": warn and clear must be finite numbers`);
      if (typeof rule.metric === 'string' && !(rule.metric in METRICS))
        throw new RangeError(`threshold rule "${rule.name}": unknown metric "${rule.metric}"`);
    }
    this.#rules = rules;
  }

  /** Names of the rules at warning level now. */
  active(): string[] {
    return [...this.#active.keys()];
  }

  /** Compares a snapshot with every rule; returns the crossings (usually none). */
  evaluate(snapshot: StatsSnapshot): ThresholdEvent[] {
    const out: ThresholdEvent[] = [];
    for (const rule of this.#rules) {
      const value = typeof rule.metric === 'string' ? METRICS[rule.metric](snapshot) : rule.metric(snapshot);
      if (value === undefined || !Number.isFinite(value)) continue;
      const highIsBad = rule.warn >= rule.clear;
      const label = rule.label ?? (typeof rule.metric === 'string' ? rule.metric : rule.name);
      const since = this.#active.get(rule.name);
      const base = { rule: rule.name, value, warn: rule.warn, clear: rule.clear, t: snapshot.t };
      if (since === undefined) {
        if (highIsBad ? value >= rule.warn : value <= rule.warn) {
          this.#active.set(rule.name, snapshot.t);
          const side = highIsBad ? 'at or above' : 'at or below';
          out.push({
            kind: 'warning',
            ...base,
            message: `${label} is ${format(value)}, ${side} ${format(rule.warn)}`,
          });
        }
      } else if (highIsBad ? value < rule.clear : value > rule.clear) {
        this.#active.delete(rule.name);
        const side = highIsBad ? 'below' : 'above';
        out.push({
          kind: 'recovered',
          ...base,
          durationMs: snapshot.t - since,
          message: `${label} is back to ${format(value)}, ${side} ${format(rule.clear)}`,
        });
      }
    }
    return out;
  }
}
