/**
 * `--config FILE`: a JSON object whose keys are a command's option names in camelCase (`port`,
 * `historyEvents`; a repeatable option also by its plural, `corsOrigins`), read below the flags and
 * the environment. Checked whole before anything starts: an unknown key or a value of the wrong
 * kind is refused with the key named.
 */
import { readFileSync, statSync } from 'node:fs';
import { nearestName } from '../hub/nearest-name.js';
import { CliError, usageError } from './errors.js';
import type { CommandSpec, OptionSpec } from './options.js';

/** A config file larger than this is surely not one. */
const MAX_BYTES = 1 << 20;

/** What the file sets, by option name (kebab-case): a flag's boolean, or a value's texts. */
export type ConfigValues = Map<string, { readonly key: string; readonly value: boolean | string[] }>;

/** camelCase of a kebab-case option name (`cors-origin` -> `corsOrigin`). */
function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The keys a file may use for each option, and the option each names. */
function keysOf(options: readonly OptionSpec[]): Map<string, OptionSpec> {
  const keys = new Map<string, OptionSpec>();
  for (const option of options) {
    if (option.name === 'config' || option.name === 'help') continue;
    keys.set(camel(option.name), option);
    if (option.multiple && !option.name.endsWith('s')) keys.set(`${camel(option.name)}s`, option);
  }
  return keys;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A scalar as the command line would have given it. */
function textOf(value: unknown, where: string, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw usageError(`${where} must be ${what} (got ${kindOf(value)})`);
}

/** Reads and checks the file; every mistake is one line naming the file and the key. */
export function readConfigFile(path: string, spec: CommandSpec): ConfigValues {
  let text: string;
  try {
    if (statSync(path).size > MAX_BYTES)
      throw new CliError(`config file ${path} is larger than 1 MiB: is it the right file?`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as { code?: unknown }).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a folder'
            : (error as Error).message;
    throw new CliError(`cannot read config file ${path}: ${why}`, {
      hint: 'give --config the path of a JSON file (or drop --config / HERALD_CONFIG)',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw usageError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw usageError(
      `config file ${path} must hold one JSON object, like {"port": 8080} (got ${kindOf(parsed)})`,
    );
  const keys = keysOf(spec.options);
  const values: ConfigValues = new Map();
  for (const [key, value] of Object.entries(parsed)) {
    const where = `${path}: "${key}"`;
    const option = keys.get(key);
    if (option === undefined) {
      const suggestion = nearestName(key, [...keys.keys()]);
      throw usageError(
        `${where} is not an option of herald ${spec.name}${suggestion === undefined ? '' : `; did you mean "${suggestion}"?`}`,
        suggestion === undefined
          ? `the keys are the options of herald ${spec.name} --help, in camelCase`
          : undefined,
      );
    }
    if (values.has(option.name)) throw usageError(`${where}: --${option.name} is set twice in the file`);
    if (option.kind === 'flag') {
      if (typeof value !== 'boolean')
        throw usageError(`${where} must be true or false (got ${kindOf(value)})`);
      values.set(option.name, { key, value });
    } else if (option.multiple) {
      const list = Array.isArray(value) ? value : [value];
      const texts = list.map((item) => textOf(item, where, 'a string or a list of strings'));
      values.set(option.name, { key, value: texts });
    } else values.set(option.name, { key, value: [textOf(value, where, 'a string or a number')] });
  }
  return values;
}
