/**
 * The package as a user gets it: `npm pack` in a copy of the checkout (so `prepack` builds there and
 * this checkout's dist/ is left alone while other tests use it), then `npm install` of the tarball in
 * a fresh project. Checks the entry points from ESM and CommonJS, what the tarball holds (LICENSE, no
 * source maps), that installing runs no script, and that the README's library example type-checks.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

/** Runs a command to its end; the error carries what it printed. */
async function sh(
  file: string,
  args: readonly string[],
  cwd: string,
  timeoutMs = 120_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(file, args, { cwd, timeout: timeoutMs, env, maxBuffer: 16 * 2 ** 20 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${file} ${args.join(' ')} failed: ${e.message}\nstdout: ${e.stdout}\nstderr: ${e.stderr}`,
    );
  }
}

/** Every file under `dir`, as paths relative to it. */
function walk(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...walk(dir, path));
    else out.push(path);
  }
  return out;
}

/** The README's library example: the first ```ts block that imports from 'herald'. */
function readmeLibraryExample(readme: string): string {
  for (const match of readme.matchAll(/```ts\n([\s\S]*?)```/g)) {
    if (/from 'herald';/.test(match[1]!)) return match[1]!;
  }
  throw new Error("no ```ts block importing from 'herald' in README.md");
}

/** The commands of the README's ```sh block that runs `npm pack`, comments dropped. */
function readmeInstallCommands(readme: string): string[] {
  for (const match of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = match[1]!
      .split('\n')
      .map((line) => line.replace(/\s+#\s.*$/, '').trim())
      .filter((line) => line !== '');
    if (lines[0] === 'npm pack') return lines;
  }
  throw new Error('no ```sh block starting with npm pack in README.md');
}

/** npm as in a user's shell, without the network calls a test does not need; install scripts on. */
const quietNpm: NodeJS.ProcessEnv = {
  ...process.env,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_prefer_offline: 'true',
  npm_config_ignore_scripts: 'false',
  npm_config_loglevel: 'warn',
};

describe('the npm package', { timeout: 240_000 }, () => {
  let tmp = '';
  let app = '';
  let entries: string[] = [];
  let installed = '';

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'herald-pack-'));
    const copy = join(tmp, 'checkout');
    mkdirSync(copy);
    for (const name of ['package.json', 'README.md', 'LICENSE', 'tsconfig.json', 'tsconfig.build.json']) {
      cpSync(join(ROOT, name), join(copy, name));
    }
    for (const name of ['src', 'scripts']) cpSync(join(ROOT, name), join(copy, name), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
    // The README's install commands, as written: `npm pack` in the checkout, then `npm install` of
    // the tarball from the app's folder (the README's /path/to/... are this test's folders).
    const [pack, cd, install] = readmeInstallCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    assert.equal(pack, 'npm pack');
    assert.equal(cd, 'cd /path/to/your-app');
    await sh('sh', ['-c', pack!], copy, 120_000, quietNpm);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const tarball = `herald-${pkg.version}.tgz`;
    assert.ok(install!.endsWith(`/path/to/herald/${tarball}`), `the README installs ${tarball}: ${install}`);
    const listing = await sh('tar', ['-tzf', join(copy, tarball)], tmp);
    entries = listing.stdout.split('\n').filter((line) => line !== '');

    app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'herald-pack-test-app', version: '1.0.0', private: true, type: 'module' }),
    );
    await sh('sh', ['-c', install!.replace('/path/to/herald', copy)], app, 120_000, quietNpm);
    installed = join(app, 'node_modules/herald');
  });

  after(() => {
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  it('holds LICENSE, README, the build and the CommonJS shims; no sources, no source maps', () => {
    for (const name of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/index.cjs',
      'dist/client/index.cjs',
      'dist/protocol/index.cjs',
      'dist/cli/main.js',
      'dist/public/herald-client.js',
    ]) {
      assert.ok(entries.includes(`package/${name}`), `${name} is not in the tarball`);
    }
    assert.deepEqual(
      entries.filter((entry) => entry.endsWith('.map')),
      [],
    );
    assert.deepEqual(
      entries.filter((entry) => entry.startsWith('package/src/')),
      [],
    );
    assert.match(
      readFileSync(join(installed, 'LICENSE'), 'utf8'),
      /^MIT License\n\nCopyright \(c\) 2026 Herald contributors\n/,
    );
  });

  it('no shipped file points at a source map', () => {
    const pointing = walk(installed).filter(
      (file) =>
        /\.(c|m)?js$|\.d\.ts$/.test(file) &&
        readFileSync(join(installed, file), 'utf8').includes('sourceMappingURL'),
    );
    assert.deepEqual(pointing, []);
  });

  it('installing it runs no script: its package.json has no install-time scripts', () => {
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
    };
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) {
      assert.equal(pkg.scripts?.[hook], undefined, `scripts.${hook}`);
    }
    assert.ok(pkg.scripts?.prepack, 'the build runs at pack time');
  });

  it('import: herald, herald/client and herald/protocol; the hub serves its page and browser client', async () => {
    const { stdout } = await sh(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const herald = await import('herald');
         const client = await import('herald/client');
         const protocol = await import('herald/protocol');
         const hub = herald.createHub({ jwtKey: 'k'.repeat(40) });
         const server = await hub.listen(0);
         const base = 'http://127.0.0.1:' + server.address().port;
         const page = await fetch(base + '/');
         const bundle = await fetch(base + '/herald-client.js');
         const { id } = await hub.publish({ topics: ['a'], data: 'x' });
         console.log(JSON.stringify({
           createHub: typeof herald.createHub,
           mintToken: typeof herald.mintToken,
           EventSource: typeof client.EventSource,
           encodeEvent: protocol.encodeEvent({ data: 'hi' }),
           createParser: typeof protocol.createParser,
           page: page.status,
           bundle: [bundle.status, (await bundle.text()).includes('sourceMappingURL')],
           id: typeof id,
         }));
         await page.text();
         await hub.close();`,
      ],
      app,
      30_000,
    );
    assert.deepEqual(JSON.parse(stdout), {
      createHub: 'function',
      mintToken: 'function',
      EventSource: 'function',
      encodeEvent: 'data: hi\n\n',
      createParser: 'function',
      page: 200,
      bundle: [200, false],
      id: 'string',
    });
  });

  it('the herald command runs from the installed package, with npx as the README says', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const { stdout } = await sh('npx', ['herald', '--version'], app, 30_000, {
      ...process.env,
      npm_config_yes: 'false',
    });
    assert.equal(stdout, `${pkg.version}\n`);
  });

  const cjs = `const herald = require('herald');
const client = require('herald/client');
const protocol = require('herald/protocol');
import('herald').then((esm) => console.log(JSON.stringify({
  createHub: typeof herald.createHub,
  EventSource: typeof client.EventSource,
  encodeEvent: typeof protocol.encodeEvent,
  sameModule: esm.createHub === herald.createHub,
})));
`;

  if (process.features.require_module) {
    it('require() from CommonJS gets the same module as import (require(esm), Node.js 20.19+)', async () => {
      writeFileSync(join(app, 'check.cjs'), cjs);
      const { stdout, stderr } = await sh(process.execPath, ['check.cjs'], app, 30_000);
      assert.deepEqual(JSON.parse(stdout), {
        createHub: 'function',
        EventSource: 'function',
        encodeEvent: 'function',
        sameModule: true,
      });
      assert.equal(stderr, '');
    });
  }

  it('require() where require(esm) is off fails with one message saying what to do', async () => {
    writeFileSync(join(app, 'check-off.cjs'), cjs);
    const flags = process.features.require_module ? ['--no-experimental-require-module'] : [];
    await assert.rejects(sh(process.execPath, [...flags, 'check-off.cjs'], app, 30_000), (error: Error) => {
      assert.match(
        error.message,
        /Error: herald is an ES module and this Node\.js cannot require\(\) it: use `await import\('herald'\)`, or run Node\.js 20\.19 or later/,
      );
      return true;
    });
  });

  it("the README's library example type-checks in a fresh TypeScript project; a wrong call does not", async () => {
    const example = readmeLibraryExample(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    writeFileSync(join(app, 'readme.ts'), example);
    writeFileSync(
      join(app, 'wrong.ts'),
      "import { createHub } from 'herald';\nawait createHub().publish({ topics: 42, data: 'x' });\n",
    );
    const tsconfig = (file: string) => ({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules/@types')],
      },
      files: [file],
    });
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig('readme.ts')));
    writeFileSync(join(app, 'tsconfig.wrong.json'), JSON.stringify(tsconfig('wrong.ts')));
    await sh(process.execPath, [TSC, '-p', 'tsconfig.json'], app, 60_000);
    await assert.rejects(sh(process.execPath, [TSC, '-p', 'tsconfig.wrong.json'], app, 60_000), /TS2322/);
  });
});
