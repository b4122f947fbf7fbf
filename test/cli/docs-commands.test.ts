/**
 * Every shell command of README.md, docs/*.md and examples/**\/README.md, as a reader would paste it
 * into a checkout after `npm ci && npm run build`.
 *
 * First, each command's programs must be ones a checkout has: the PROGRAMS below, `npx` only for
 * Herald's own `herald` (npx would otherwise download a stranger's package). Then each page's
 * commands run in order, in one shell session per page (exports carry on): `npx herald serve` lines
 * until they log that they listen, streams (`herald subscribe`, `curl -N`) until they are open, every
 * other command to its end with exit 0; a stream gets each id published after it opened. Substituted,
 * and nothing else: hubs listen on a free port (the URLs in later commands, and HERALD_URL, are that
 * hub's), files the commands write are in a temp folder, Redis URLs point at a redis-server started
 * here, and the `export HERALD_TOKEN=...` line a keyless hub prints is pasted, as the pages say.
 * A page that talks to a hub without starting one gets the README's `npx herald serve`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { redisUnavailable, startRedis, type TestRedis } from '../support/redis.js';
import { ROOT, type Shell, sh, stopShell, stopShells, until } from '../support/shell.js';

/** Programs a checkout has after `npm ci && npm run build`, or that the tests themselves need. */
const PROGRAMS = new Set([
  'npx',
  'npm',
  'node',
  'curl',
  'php',
  'python3',
  'sh',
  'openssl',
  'echo',
  'printf',
  'cd',
]);

/** Commands that do not run here, with why. Keyed by page, then the command as written. */
const SKIPPED: Record<string, Record<string, string>> = {
  'README.md': {
    'npm install && npm start': 'reinstalls and rebuilds the checkout other tests are using',
    'npm test': 'runs every test, this one included',
    'npm pack': 'prepack rebuilds dist/: test/package/pack.test.ts packs a copy of the checkout',
    'cd /path/to/your-app': "the reader's own project: test/package/pack.test.ts installs into a fresh one",
    'npm install /path/to/herald/herald-0.1.0.tgz': 'run by test/package/pack.test.ts, as written',
    'npx herald bench --subscribers 1000 --rate 20': 'a load test of 1,000 streams: a benchmark, not a test',
  },
};

/** The README's first screen is run by test/cli/readme.test.ts, with its own checks. */
const FIRST_SCREEN = '## From clone to a received event';

/** Files the commands write, kept in the test's temp folder instead of the checkout. */
const WRITTEN_FILES = ['herald.db', 'herald.json', 'cert.pem', 'key.pem'];

const DOCUMENTED_REDIS = 'redis://127.0.0.1:6379';
const DEFAULT_PORT = '8080';

interface Command {
  /** As written, continuation lines joined, the comment dropped. */
  text: string;
  line: number;
}

function pages(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  const examples = readdirSync(join(ROOT, 'examples'), { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('README.md'))
    .map((path) => `examples/${path}`);
  return ['README.md', ...docs.sort(), ...examples.sort()];
}

/** The commands of a page's ```sh, ```bash and ```shell blocks, outside the README's first screen. */
function commandsOf(page: string): Command[] {
  let text = readFileSync(join(ROOT, page), 'utf8');
  if (page === 'README.md') {
    const start = text.indexOf(FIRST_SCREEN);
    assert.ok(start >= 0, `README.md has "${FIRST_SCREEN}"`);
    const end = text.indexOf('\n## ', start + 3);
    // Blanked, not cut, so that line numbers stay the page's.
    text = text.slice(0, start) + text.slice(start, end).replace(/[^\n]/g, '') + text.slice(end);
  }
  const commands: Command[] = [];
  for (const block of text.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```$/gm)) {
    let line = text.slice(0, block.index).split('\n').length + 1;
    let pending: Command | undefined;
    for (const raw of block[1]!.split('\n')) {
      // A comment: a # after a space, up to the end of the line.
      const code = raw.replace(/(^|\s)#(\s.*)?$/, '').trimEnd();
      const joined = pending ? `${pending.text} ${code.trim()}` : code;
      if (code.endsWith('\\')) pending = { text: joined.slice(0, -1).trimEnd(), line: pending?.line ?? line };
      else {
        if (joined.trim() !== '') commands.push({ text: joined.trim(), line: pending?.line ?? line });
        pending = undefined;
      }
      line++;
    }
  }
  return commands;
}

/** The program of each simple command in `text`, those inside `$(...)` too; `npx herald` as one. */
function programsOf(text: string): string[] {
  const programs: string[] = [];
  const inner = [...text.matchAll(/\$\(([^)]*)\)/g)].map((m) => m[1]!);
  const outer = text.replace(/\$\([^)]*\)/g, 'X');
  for (const part of [outer, ...inner].flatMap((piece) => piece.split(/&&|\|\||;|\|/))) {
    if (part.trim().startsWith('export ')) continue;
    // Leading NAME=value words set the environment of the program after them.
    const words = part
      .trim()
      .replace(/^([A-Z_][A-Z0-9_]*=\S*\s+)*/, '')
      .split(/\s+/);
    const program = words[0];
    if (program === undefined || program === '') continue;
    programs.push(program === 'npx' ? `npx ${words[1]}` : program);
  }
  return programs;
}

describe('the shell commands in the README, docs/ and examples/', { timeout: 240_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'herald-docs-'));
  let redis: TestRedis | undefined;
  after(async () => {
    stopShells();
    await redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('use only programs a checkout has (npx only for herald)', () => {
    const unknown: string[] = [];
    for (const page of pages()) {
      for (const command of commandsOf(page)) {
        for (const program of programsOf(command.text)) {
          const known = program.startsWith('npx ') ? program === 'npx herald' : PROGRAMS.has(program);
          if (!known) unknown.push(`${page}:${command.line}: ${program} (in: ${command.text})`);
        }
      }
    }
    assert.deepEqual(unknown, []);
  });

  it('every skipped command is still in its page', () => {
    for (const [page, skipped] of Object.entries(SKIPPED)) {
      const texts = new Set(commandsOf(page).map((c) => c.text));
      for (const command of Object.keys(skipped)) assert.ok(texts.has(command), `${page}: ${command}`);
    }
  });

  for (const page of pages()) {
    const commands = commandsOf(page);
    if (commands.length === 0) continue;
    const needsRedis = commands.some((c) => c.text.includes(DOCUMENTED_REDIS));
    it(`${page}: runs as written`, { skip: needsRedis ? redisUnavailable : undefined }, async () => {
      if (needsRedis) redis ??= await startRedis();
      await runPage(page, commands, join(tmp, page.replace(/\W+/g, '-')), redis);
    });
  }
});

interface Stream {
  shell: Shell;
  /** Ids published after it opened: each must reach it. */
  expected: string[];
}

/** One shell session of a page's commands, in order. */
class Session {
  readonly env: Record<string, string> = {};
  /** The documented port of each running hub -> its real origin. */
  readonly hubs = new Map<string, { origin: string; shell: Shell }>();
  readonly streams: Stream[] = [];
  #urlExported = false;

  constructor(
    readonly cwd: string,
    readonly files: string,
    readonly redis: TestRedis | undefined,
  ) {}

  substitute(text: string): string {
    let out = text;
    if (this.redis) out = out.replaceAll(DOCUMENTED_REDIS, this.redis.url);
    for (const name of WRITTEN_FILES)
      out = out.replace(
        new RegExp(`(?<![\\w/.-])(\\./)?${name.replace('.', '\\.')}\\b`, 'g'),
        join(this.files, name),
      );
    return out.replace(/\bhttps?:\/\/127\.0\.0\.1:(\d+)/g, (url, port: string) => {
      const hub = this.hubs.get(port);
      return hub === undefined ? url : hub.origin;
    });
  }

  async run(command: Command): Promise<void> {
    const text = command.text;
    if (/^export [A-Z_]+=/.test(text)) return this.#export(text);
    if (/^(\S+=\S+ )*npx herald serve\b/.test(text)) return this.#serve(text);
    if (!this.hubs.has(DEFAULT_PORT) && /127\.0\.0\.1:8080|npx herald (publish|subscribe)/.test(text))
      await this.#serve('npx herald serve');
    if (/npx herald subscribe\b|\bcurl\b.* -N\b/.test(text)) return this.#stream(text);
    const shell = sh(this.substitute(text), this.env, this.cwd);
    const code = await Promise.race([shell.exited, new Promise((r) => setTimeout(r, 30_000, 'timeout'))]);
    assert.equal(code, 0, `${text}\nstdout: ${shell.out()}\nstderr: ${shell.err()}`);
    const id = /\/publish\b|herald publish|publish\.(php|py|sh)\b/.test(text) ? shell.out().trim() : '';
    if (id !== '') for (const stream of this.streams) stream.expected.push(id.split('\n').at(-1)!);
  }

  async #export(text: string): Promise<void> {
    const name = /^export ([A-Z_]+)=/.exec(text)![1]!;
    const shell = sh(`${this.substitute(text)}\nprintf %s "$${name}"`, this.env, this.cwd);
    assert.equal(await shell.exited, 0, `${text}\nstderr: ${shell.err()}`);
    this.env[name] = shell.out();
    if (name === 'HERALD_URL') this.#urlExported = true;
  }

  async #serve(text: string): Promise<void> {
    const port = /--port (\d+)/.exec(text)?.[1] ?? DEFAULT_PORT;
    // The reader stops the hub on that port before starting another there.
    const previous = this.hubs.get(port);
    if (previous) stopShell(previous.shell.child);
    const script = this.substitute(text).replace(/--port \d+/, '--port 0');
    const shell = sh(
      script,
      { ...this.env, ...(text.includes('--port') ? {} : { HERALD_PORT: '0' }) },
      this.cwd,
    );
    await until(
      () => /"msg":"herald listening on /.test(shell.out()) || shell.child.exitCode !== null,
      'listening',
      shell,
    );
    const url = /"url":"([^"]+)\/"/.exec(shell.out())?.[1];
    assert.ok(url, `${text} did not start\nstdout: ${shell.out()}\nstderr: ${shell.err()}`);
    const keyless = this.env.HERALD_JWT_KEY === undefined && !/--(jwt|publisher)-key/.test(text);
    if (keyless) {
      await until(() => /^export HERALD_TOKEN=\S+$/m.test(shell.err()), 'the export line', shell);
      this.env.HERALD_TOKEN = /^export HERALD_TOKEN=(\S+)$/m.exec(shell.err())![1]!;
    }
    this.hubs.set(port, { origin: url, shell });
    if (port === DEFAULT_PORT && !this.#urlExported) this.env.HERALD_URL = url;
  }

  async #stream(text: string): Promise<void> {
    const shell = sh(this.substitute(text), this.env, this.cwd);
    const open = text.includes('herald subscribe')
      ? () => shell.err().includes('subscribed to')
      : () => shell.out().includes('event: herald-resume');
    await until(() => open() || shell.child.exitCode !== null, 'the stream to open', shell);
    assert.ok(open(), `${text}: no stream\nstdout: ${shell.out()}\nstderr: ${shell.err()}`);
    this.streams.push({ shell, expected: [] });
  }

  async finish(): Promise<void> {
    for (const { shell, expected } of this.streams)
      await until(
        () => expected.every((id) => shell.out().includes(id)),
        `ids ${expected.join(', ')}`,
        shell,
      );
    for (const stream of this.streams) stopShell(stream.shell.child);
    for (const hub of this.hubs.values()) stopShell(hub.shell.child);
  }
}

async function runPage(page: string, commands: Command[], files: string, redis: TestRedis | undefined) {
  mkdirSync(files, { recursive: true });
  const session = new Session(join(ROOT, dirname(page)), files, redis);
  const skipped = SKIPPED[page] ?? {};
  for (const command of commands) {
    if (skipped[command.text] !== undefined) continue;
    await session.run(command);
  }
  await session.finish();
}
