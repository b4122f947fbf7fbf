// Writes the CommonJS entry points (`require('herald')`, `herald/client`, `herald/protocol`). Herald is
// ESM; Node.js 20.19+ (and 22.12+) can require() an ES module without top-level await, which Herald
// has none of, so each shim hands over to the ES module. Where require(esm) is missing (older Node,
// or switched off with --no-experimental-require-module) it throws one error that says what to do.
import { writeFileSync } from 'node:fs';

const ENTRIES = [
  ['dist/index.cjs', './index.js', 'herald'],
  ['dist/client/index.cjs', './index.js', 'herald/client'],
  ['dist/protocol/index.cjs', './index.js', 'herald/protocol'],
];

for (const [file, target, name] of ENTRIES) {
  const message =
    `${name} is an ES module and this Node.js cannot require() it: ` +
    `use \`await import('${name}')\`, or run Node.js 20.19 or later (22.12 or later on 22), ` +
    'where require() of ES modules is on by default (do not pass --no-experimental-require-module)';
  writeFileSync(
    file,
    `'use strict';
// CommonJS entry of ${name}: written by scripts/write-require-shims.mjs.
try {
  module.exports = require(${JSON.stringify(target)});
} catch (error) {
  if (error && error.code === 'ERR_REQUIRE_ESM') {
    throw new Error(${JSON.stringify(message)}, { cause: error });
  }
  throw error;
}
`,
  );
}
