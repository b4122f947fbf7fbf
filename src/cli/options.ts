/**
 * Command-line options: each command declares its options once (name, value, default, environment
 * variables, description); the same table drives `node:util` parseArgs, the `--help` text and the
 * checked reading of values, so help and behaviour cannot drift apart.
 */
import { parseArgs } from 'node:util';
import { nearestName } from '../hub/nearest-name.js';
import { type ConfigValues, readConfigFile } from './config-file.js';
import { usageError } from './errors.js';

export interface OptionSpec {
  /** kebab-case, without the dashes. */
  name: string;
  /** A flag takes no value; the others take one. */
  kind: 'flag' | 'value';
  /** May be given more than once. */
  multiple?: boolean;
  /** What the value looks like in help: `N`, `URL`, `MS`... */
  value?: string;
  description: string;
  /** Shown in help; the code applies the same default. */
  default?: string | number;
  /** The value is a count of bytes (help also shows it in KiB/MiB). */
  bytes?: boolean;
  /** Environment variables read when the option is not given, first found wins. */
  env?: readonly string[];
}

export interface CommandSpec {
  name: string;
  /** One line for `herald --help`. */
  summary: string;
  /** Arguments after the command name, as shown in help: `<topic> <data>`. */
  args: string;
  /** Paragraphs shown between the usage line and the options. */
  about?: string;
  options: readonly OptionSpec[];
  examples?: readonly string[];
}

const HELP: OptionSpec = { name: 'help', kind: 'flag', description: 'show this help' };

/** camelCase -> kebab-case (`maxConnections` -> `max-connections`). */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

const HELP_WIDTH = 100;

/** A default as shown in help; byte counts also in KiB/MiB when whole. */
function showDefault(option: OptionSpec): string {
  const value = option.default;
  if (typeof value !== 'number' || !option.bytes) return String(value);
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (value >= size && value % size === 0) return `${value} (${value / size} ${unit})`;
  }
  return String(value);
}

/** Units (words, or notes kept whole) in lines of at most `width` characters. */
function wrap(units: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of units) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines;
}

/** The `--help` text of a command. */
export function helpText(spec: CommandSpec): string {
  const options = [...spec.options, HELP];
  const left = options.map((o) => `  --${o.name}${o.value ? ` ${o.value}` : ''}`);
  const width = Math.min(34, Math.max(...left.map((l) => l.length)) + 2);
  const lines = [`Usage: herald ${spec.name}${spec.args ? ` ${spec.args}` : ''} [options]`, '', spec.summary];
  if (spec.about) lines.push('', spec.about);
  lines.push('', 'Options:');
  options.forEach((o, i) => {
    const notes: string[] = [];
    if (o.default !== undefined) notes.push(`[default: ${showDefault(o)}]`);
    if (o.env?.length) notes.push(`[env: ${o.env.join(', ')}]`);
    if (o.multiple) notes.push('[repeatable]');
    const text = wrap([...o.description.split(' '), ...notes], HELP_WIDTH - width);
    const head = left[i]!;
    if (head.length + 2 > width) lines.push(head);
    else lines.push(`${head.padEnd(width)}${text.shift()}`);
    for (const more of text) lines.push(`${' '.repeat(width)}${more}`);
  });
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

/** A value and where it came from (`--port` or `HERALD_PORT`), so errors can name it. */
export interface Sourced {
  text: string;
  from: string;
}

/** The parsed command line of one command, with checked accessors. */
export class Args {
  readonly positionals: readonly string[];
  readonly help: boolean;
  readonly #values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly #specs: Map<string, OptionSpec>;
  readonly #env: NodeJS.ProcessEnv;
  /** What `--config FILE` sets, for a command that takes one. */
  readonly #file: ConfigValues = new Map();
  #filePath = '';

  constructor(spec: CommandSpec, argv: readonly string[], env: NodeJS.ProcessEnv) {
    this.#specs = new Map([...spec.options, HELP].map((o) => [o.name, o]));
    this.#env = env;
    const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
    for (const o of this.#specs.values()) {
      config[o.name] = { type: o.kind === 'flag' ? 'boolean' : 'string', multiple: o.multiple === true };
    }
    try {
      const parsed = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: true });
      this.#values = parsed.values;
      this.positionals = parsed.positionals;
    } catch (error) {
      const described = describeParseError(error, [...this.#specs.keys()]);
      throw usageError(
        `herald ${spec.name}: ${described}${described.endsWith('?') ? '' : `; see: herald ${spec.name} --help`}`,
      );
    }
    this.help = this.#values.help === true;
    const configFile = this.#specs.has('config') && !this.help ? this.sourced('config') : undefined;
    if (configFile !== undefined) {
      this.#file = readConfigFile(configFile.text, spec);
      this.#filePath = configFile.text;
    }
  }

  /** The file's value of an option, named as the file names it. */
  #fromFile(name: string): { value: boolean | string[]; from: string } | undefined {
    const found = this.#file.get(name);
    return found && { value: found.value, from: `"${found.key}" in ${this.#filePath}` };
  }

  #spec(name: string): OptionSpec {
    const spec = this.#specs.get(name);
    if (spec === undefined) throw new Error(`no option --${name} is declared`);
    return spec;
  }

  /** The option's value, else the first non-empty environment variable it reads, else the config file's. */
  sourced(name: string): Sourced | undefined {
    const spec = this.#spec(name);
    const value = this.#values[name];
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (typeof last === 'string') return { text: last, from: `--${name}` };
    for (const variable of spec.env ?? []) {
      const text = this.#env[variable];
      if (text !== undefined && text !== '') return { text, from: variable };
    }
    const file = this.#fromFile(name);
    if (Array.isArray(file?.value) && file.value.length > 0)
      return { text: file.value[file.value.length - 1]!, from: file.from };
    return undefined;
  }

  string(name: string): string | undefined {
    return this.sourced(name)?.text;
  }

  /** Whether a flag is given, else whether its environment variable says so (1, true, yes / 0, false, no). */
  flag(name: string): boolean {
    if (this.#values[name] === true) return true;
    // A flag has no value on the command line, so what `sourced` finds is its environment variable.
    const found = this.sourced(name);
    if (found === undefined) return this.#fromFile(name)?.value === true;
    const text = found.text.trim().toLowerCase();
    if (text === '1' || text === 'true' || text === 'yes') return true;
    if (text === '0' || text === 'false' || text === 'no') return false;
    throw usageError(
      `${found.from} must be 1, true or yes, or 0, false or no (got "${found.text.slice(0, 40)}")`,
    );
  }

  /** Every value of a repeatable option; else its environment variable, split on commas. */
  list(name: string): string[] {
    const value = this.#values[name];
    if (Array.isArray(value) && value.length > 0)
      return value.filter((v): v is string => typeof v === 'string');
    const file = this.#fromFile(name);
    if (Array.isArray(file?.value) && !this.#spec(name).env?.some((v) => this.#env[v])) return file.value;
    const found = this.sourced(name);
    if (found === undefined) return [];
    return found.text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  /** A whole number within [min, max], or undefined when neither given nor set in the environment. */
  integer(name: string, range: { min: number; max?: number }): number | undefined {
    const found = this.sourced(name);
    if (found === undefined) return undefined;
    return parseInteger(found, range);
  }
}

/** Checks `found` is a whole number within the range; the error names the option or variable. */
export function parseInteger(found: Sourced, range: { min: number; max?: number }): number {
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const text = found.text.trim();
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < range.min || value > max) {
    const bounds =
      max === Number.MAX_SAFE_INTEGER
        ? `a whole number >= ${range.min}`
        : `a whole number from ${range.min} to ${max}`;
    throw usageError(`${found.from} must be ${bounds} (got "${found.text}")`);
  }
  return value;
}

/** node:util parseArgs errors, reworded to name the option and say what to do. */
function describeParseError(error: unknown, names: readonly string[]): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-[^' ]+)/.exec(message)?.[1] ?? 'an option';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const suggestion = option.startsWith('--')
      ? nearestName(option.split('=')[0]!.replace(/^-+/, ''), names)
      : undefined;
    if (suggestion !== undefined) return `unknown option ${option}; did you mean --${suggestion}?`;
    return `unknown option ${option} (a value that starts with "-" goes after "--")`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (message.includes('ambiguous'))
      return `${option} needs a value; write ${option}=VALUE for one that starts with "-"`;
    if (message.includes('does not take')) return `${option} takes no value`;
    return `${option} needs a value`;
  }
  return message;
}
