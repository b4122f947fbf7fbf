/**
 * The hub's log: pino, one JSON object per line on stdout; on a terminal, a short human line per
 * record instead (time, level, message, then the fields), without any extra dependency.
 */
import { type LevelWithSilent, type Logger, pino } from 'pino';

export const LOG_LEVELS: readonly LevelWithSilent[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

export function isLogLevel(text: string): text is LevelWithSilent {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'name']);

/** One JSON record -> `12:04:05 INFO  message key=value`, long values on lines of their own. */
export function humanLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof record.time === 'number' ? new Date(record.time).toTimeString().slice(0, 8) : '';
  const level = (LEVEL_NAMES[Number(record.level)] ?? String(record.level)).padEnd(5);
  const msg = String(record.msg ?? '');
  let head = `${time} ${level} ${msg}`;
  const tail: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (HIDDEN.has(key)) continue;
    if (key === 'err' && typeof value === 'object' && value !== null) {
      const stack = (value as { stack?: unknown }).stack;
      tail.push(`  ${String(stack ?? JSON.stringify(value)).replaceAll('\n', '\n  ')}`);
      continue;
    }
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (msg.includes(text)) continue; // already said
    if (text.length > 40 || text.includes(' ')) tail.push(`  ${key}: ${text}`);
    else head += ` ${key}=${text}`;
  }
  return `${[head, ...tail].join('\n')}\n`;
}

/** The log goes to stdout (fd 1). */
export function createLogger(level: LevelWithSilent): Logger {
  const out = process.stdout;
  // An error's cause apart (`err.cause`), not appended to its message: Herald's errors already say
  // their cause's reason ("Redis is unavailable: The client is offline"), which would come twice.
  const serializers = { err: pino.stdSerializers.errWithCause };
  if (out.isTTY) {
    return pino(
      { level, base: undefined, serializers },
      { write: (line: string) => out.write(humanLine(line)) },
    );
  }
  return pino({ level, name: 'herald', serializers }, pino.destination({ dest: 1, sync: true }));
}
