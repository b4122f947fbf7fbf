#!/usr/bin/env node
/**
 * `herald <command>`: dispatches to serve, publish, subscribe, token and bench. Mistakes in the command
 * line exit 2 with one line saying what to do; failures exit 1 with the reason (and a hint).
 */
import { readFileSync } from 'node:fs';
import { nearestName } from '../hub/nearest-name.js';
import { BENCH, bench } from './bench.js';
import { CliError } from './errors.js';
import { Args, type CommandSpec, helpText } from './options.js';
import { PUBLISH, publish } from './publish.js';
import { SERVE, serve } from './serve.js';
import { SUBSCRIBE, subscribe } from './subscribe.js';
import { TOKEN, token } from './token.js';

/** A command: its exit code, or undefined for one that keeps running (serve). */
type Run = (args: Args) => Promise<number | undefined> | Promise<void>;

const COMMANDS: ReadonlyMap<string, { spec: CommandSpec; run: Run }> = new Map([
  ['serve', { spec: SERVE, run: serve }],
  ['publish', { spec: PUBLISH, run: publish }],
  ['subscribe', { spec: SUBSCRIBE, run: subscribe }],
  ['token', { spec: TOKEN, run: token }],
  ['bench', { spec: BENCH, run: bench }],
]);

function mainHelp(): string {
  const width = Math.max(...[...COMMANDS.keys()].map((name) => name.length)) + 4;
  return [
    'herald: a Server-Sent Events hub, publisher, subscriber, token minter and load tester',
    '',
    'Usage: herald <command> [options]',
    '',
    'Commands:',
    ...[...COMMANDS].map(([name, { spec }]) => `  ${name.padEnd(width)}${spec.summary}`),
    '',
    'Run herald <command> --help for the options of a command; herald --version prints the version.',
    '',
  ].join('\n');
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return String(pkg.version);
}

async function main(argv: readonly string[]): Promise<number | undefined> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = topic === undefined ? undefined : COMMANDS.get(topic);
    if (command !== undefined) return help(command.spec);
    process.stdout.write(mainHelp());
    // `herald` alone is a mistake worth a non-zero exit; asking for help is not.
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS.get(name);
  if (command === undefined) {
    const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command "${name}"`;
    const suggestion = name.startsWith('-') ? undefined : nearestName(name, [...COMMANDS.keys()]);
    const rest =
      suggestion === undefined
        ? `: the commands are ${[...COMMANDS.keys()].join(', ')}; see: herald --help`
        : `; did you mean ${suggestion}? (see: herald --help)`;
    throw new CliError(`herald: ${what}${rest}`, { exitCode: 2 });
  }
  const args = new Args(command.spec, rest, process.env);
  if (args.help) return help(command.spec);
  return (await command.run(args)) ?? undefined;
}

function help(spec: CommandSpec): number {
  process.stdout.write(helpText(spec));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    // serve resolves with undefined and keeps running until a signal stops it.
    if (code !== undefined) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof CliError) {
      process.stderr.write(`${error.message.startsWith('herald') ? '' : 'herald: '}${error.message}\n`);
      if (error.hint !== undefined) process.stderr.write(`hint: ${error.hint}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(
      `herald: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
