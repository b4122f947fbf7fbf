// What tests read of a running hub from outside: its health, metrics, monitor figures and log.
import type { HubLogger } from '../../src/http/http-counters.js';
import type { MonitorHistory } from '../../src/monitor/collector.js';
import { httpRequest, sleep, type TestHub } from './hub.js';

/** A pino-compatible logger that keeps every line above debug, as the hub's log would show them. */
export function recordingLogger(): HubLogger & {
  lines: { level: string; object: object; message: string }[];
} {
  const lines: { level: string; object: object; message: string }[] = [];
  const at = (level: string) => (object: object, message: string) => lines.push({ level, object, message });
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: () => {} };
}

export async function until<T>(what: string, read: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

export async function health(hub: TestHub): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await httpRequest(`${hub.url}/healthz`);
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    body = { text: answer.body };
  }
  return { status: answer.status, body };
}

export async function storeUp(hub: TestHub): Promise<number | undefined> {
  const text = (await httpRequest(`${hub.url}/metrics`)).body;
  const line = /^herald_store_up (\d+)$/m.exec(text);
  return line === null ? undefined : Number(line[1]);
}

export async function monitorHistory(hub: TestHub): Promise<MonitorHistory> {
  return JSON.parse((await httpRequest(`${hub.url}/monitor/history.json`)).body) as MonitorHistory;
}
