#!/usr/bin/env node
// Runs the compiled suite (dist/test/**/*.test.js) with node's own test runner, on any Node >= 20.
// Why a script: Node 20 runs `node --test DIR/` as a directory, but from Node 21 on the arguments
// of --test are glob patterns and a directory is loaded as a module ("Cannot find module"), while
// Node 20 does not expand globs at all. An explicit file list means the same on every version.
// Extra arguments are passed through: `node scripts/test.mjs dist/test/roi` runs only that folder.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('-'));
const roots = args.filter((a) => !a.startsWith('-'));

/** Every *.test.js under dir, sorted so the order is the same on every machine. */
function testFiles(dir) {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) throw new Error(`${dir} does not exist: run \`npm run build\` first`);
  if (st.isFile()) return [dir];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.js') ? [join(dir, e.name)] : []));
}

let files;
try {
  files = (roots.length ? roots : [join(root, 'dist', 'test')]).flatMap((d) => testFiles(d));
} catch (err) {
  console.error(`holy tests: ${err.message}`);
  process.exit(2);
}
if (files.length === 0) {
  console.error('holy tests: no *.test.js files found: run `npm run build` first');
  process.exit(2);
}
// Children that spawn `node` (the e2e tests run bin/holy.js through its shebang) get this same
// Node first on PATH, so a run under Node 24 is Node 24 all the way down.
const env = { ...process.env, PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter) };
// spec on every version: Node 20 and 22 print TAP when stdout is not a terminal, 23+ print spec.
const defaults = ['--test-concurrency=2', '--test-timeout=600000', '--test-reporter=spec'];
const own = defaults.filter((d) => !flags.some((f) => f.split('=')[0] === d.split('=')[0]));
// A test file that leaves a handle open (a client reconnecting forever) never exits, and the runner waits
// for it: without a bound that is a CI run hanging until its job is killed, with no word of why. The whole
// run is bounded instead (HOLY_TEST_TIMEOUT_S, default 540 s: the full suite takes about half of it).
const limitS = Number(process.env.HOLY_TEST_TIMEOUT_S ?? 540);
if (!(limitS > 0)) {
  console.error(`holy tests: HOLY_TEST_TIMEOUT_S must be a number of seconds above 0, got ${process.env.HOLY_TEST_TIMEOUT_S}`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--test', ...own, ...flags, ...files.map((f) => relative(process.cwd(), f) || f)], {
  stdio: 'inherit',
  env,
  timeout: limitS * 1000,
  killSignal: 'SIGTERM',
});
if (r.error && /ETIMEDOUT/.test(String(r.error.code ?? r.error.message))) {
  console.error(`holy tests: stopped after ${limitS} s: a test file did not finish or did not exit (a test waiting forever, or a handle left open such as a client reconnecting); the last files started are above. Raise HOLY_TEST_TIMEOUT_S only for a slower machine.`);
  process.exit(1);
}
process.exit(r.status ?? (r.signal === 'SIGINT' ? 130 : 1));
