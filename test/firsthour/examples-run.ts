/**
 * Every example works as written: each example in the README and in every `--help` is run with bash
 * in a fresh workspace holding the files it names (fixtures under the placeholder names), with
 * `official` and `holysheep` pointed at local simulators, and must exit with its documented code.
 * The examples are split over three test files (examples-*.test.ts) so that none nears the
 * per-file time limit on a loaded machine.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, copyFile, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { HOLY_BIN, ROOT } from '../helpers/ctx.js';
import { startMock, type MockServer } from '../../src/mock/server.js';
import { openLedger } from '../../src/adapters/ledger/index.js';
import { ledgerRow } from '../gateway/ledger-rows.js';
import { allHelp, COMMANDS, fixedPorts, localise, markdownExamples, README, type Example } from './examples.js';
export { COMMANDS } from './examples.js';


/** Examples whose documented exit code is not 0, with where it is documented. */
const EXPECTED: Record<string, number> = {};

let official: MockServer;
let holysheep: MockServer;
let shim = '';

before(async () => {
  official = await startMock({ label: 'official-sim', latency: { ttftMs: 20, perTokenMs: 1 } });
  holysheep = await startMock({ label: 'holysheep-sim', variant: 0.05 });
  shim = await mkdtemp(join(tmpdir(), 'holy-examples-bin-'));
  await writeFile(join(shim, 'holy'), `#!/bin/sh\nexec "${process.execPath}" -- "${HOLY_BIN}" "$@"\n`, { mode: 0o755 });
});

after(async () => {
  await official.close();
  await holysheep.close();
  await rm(shim, { recursive: true, force: true });
});

/** A workspace holding every file an example names, and a home with ~/.config/openai.key. */
async function workspace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'holy-example-'));
  const fx = (p: string) => join(ROOT, 'fixtures', p);
  await symlink(join(ROOT, 'fixtures'), join(dir, 'fixtures'));
  for (const [name, from] of [
    ['traffic.jsonl', 'traffic/sample.jsonl'],
    ['batch_input.jsonl', 'traffic/batch-input.jsonl'],
    ['batch_output.jsonl', 'traffic/batch-output.jsonl'],
    ['results.jsonl', 'traffic/results.jsonl'],
    ['capture.har', 'traffic/recorded.har'],
    ['usage.csv', 'usage/canonical.csv'],
    ['model_prices_and_context_window.json', 'models/prices.litellm.json'],
  ] as const) await copyFile(fx(from), join(dir, name));
  await writeFile(join(dir, 'ledger-1.csv.gz'), gzipSync(await readFile(fx('usage/ledger.csv'))));
  await writeFile(join(dir, 'spend.csv.gz'), gzipSync(await readFile(fx('usage/litellm-spend.csv'))));
  // holy gateway's ledger, and one per replica under ledgers/ (holy roi holy-ledger.db, ledgers/*.db).
  await mkdir(join(dir, 'ledgers'));
  for (const [file, from] of [['holy-ledger.db', 0], ['ledgers/holy-ledger-a.db', 0], ['ledgers/holy-ledger-b.db', 4]] as const) {
    const l = await openLedger(join(dir, file));
    for (let i = from; i < from + 4; i++) l.add(ledgerRow(i));
    await l.close();
  }
  await writeFile(join(dir, 'export.csv'), (await readFile(fx('usage/custom.csv'), 'utf8')).replace('Model Name', 'Model'));
  // The sample app's .env, with keys of no known format (an sk- key is never sent to a loopback
  // simulator) and its base URL on the simulated official, so verify's app rows stay on this machine.
  const env = (await readFile(fx('env/sample.env'), 'utf8'))
    .replace('sk-proj-fake-0000', 'test-official-key-0000')
    .replace('https://api.openai.com/v1', official.url);
  await writeFile(join(dir, '.env'), env, { mode: 0o600 });
  await chmod(join(dir, '.env'), 0o600);
  await mkdir(join(dir, 'home', '.config'), { recursive: true });
  await writeFile(join(dir, 'home', '.config', 'openai.key'), 'test-official-key-file-0004\n', { mode: 0o600 });
  await writeFile(join(dir, 'staging.key'), 'test-staging-key-0005\n', { mode: 0o600 });
  // The gateway's examples name tenants acme and globex and route to the simulated relay, falling back to the simulated official.
  const gateway = {
    plans: { free: { rpm: 20, tpm: 40000, models: ['gpt-4o-mini'], tools: [], maxTokens: 1024, weight: 1 }, pro: { rpm: 600, tpm: 1000000, models: ['*'], tools: ['*'], weight: 4 } },
    tenants: { acme: { plan: 'pro' }, globex: { plan: 'free', rpm: 10 } },
    route: { primary: 'holysheep', fallback: 'official', maxInFlight: 64 },
    modelMap: { 'gpt-4.5': 'gpt-4o' },
  };
  await writeFile(join(dir, 'holy.config.json'), JSON.stringify({ providers: { official: { baseURL: official.url }, holysheep: { baseURL: holysheep.url } }, gateway }));
  return dir;
}

/** Free ports for the fixed ones the examples use (bound again by the example, by number). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** The example as a bash script recording each foreground holy line's exit code, one per line. */
function script(e: Example, ports: Map<string, number>): string {
  const map = { relay: holysheep.url, hook: `${official.url}/notify-hook`, ports };
  const out = ['exits="$HOLY_EXAMPLE_EXITS"'];
  for (const raw of e.lines) {
    const line = localise(raw, map);
    if (/^kill %\d$/.test(line)) out.push(line);
    else if (/&\s*$/.test(line)) {
      out.push(line);
      const port = /--port (\d+)/.exec(line)?.[1];
      if (port) out.push(`until (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null; do sleep 0.1; done`);
    } else if (/^([A-Z_]+=\S+\s+)*holy mock\b[^&;|]*$/.test(line)) {
      // A simulator in the foreground serves until stopped: wait for its URL, then stop it as a user would.
      out.push(`${line} > .mock-url & mock=$!; until [ -s .mock-url ]; do sleep 0.1; done; kill -TERM $mock; wait $mock; echo $? >> "$exits"`);
    } else if (/^([A-Z_]+=\S+\s+)*holy (--\S+ )*gateway\b(?! keys)[^&;|]*$/.test(line)) {
      // The gateway in the foreground serves until stopped: wait for its URL (first stdout line), then SIGTERM (a drain, exit 0).
      out.push(`${line} > .gateway-url & gw=$!; until [ -s .gateway-url ]; do sleep 0.1; done; kill -TERM $gw; wait $gw; echo $? >> "$exits"`);
    } else out.push(`${line}\necho $? >> "$exits"`);
  }
  out.push('kill $(jobs -p) 2>/dev/null; wait');
  return out.join('\n') + '\n';
}

async function run(e: Example): Promise<{ codes: number[]; output: string; script: string }> {
  const dir = await workspace();
  const exits = join(dir, '.exits');
  const ports = new Map<string, number>();
  for (const p of fixedPorts([e])) ports.set(p, await freePort());
  const text = script(e, ports);
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('bash', ['-c', text], {
        cwd: dir,
        env: {
          TMPDIR: dir, // holy tour --keep keeps its workspace: inside this one
          PATH: `${shim}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
          HOME: join(dir, 'home'),
          HOLY_EXAMPLE_EXITS: exits,
          OPENAI_API_KEY: 'test-official-key-0001',
          HOLYSHEEP_API_KEY: 'test-holysheep-key-0002',
          ORIGINAL_OPENAI_KEY: 'test-original-key-0003',
          NO_COLOR: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let seen = '';
      child.stdout.on('data', (c: Buffer) => (seen += c));
      child.stderr.on('data', (c: Buffer) => (seen += c));
      child.on('error', reject);
      child.on('close', () => resolve(seen));
    });
    const codes = (await readFile(exits, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    return { codes, output, script: text };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every example there is: the README's, then each --help's (the root's only where no command repeats it). */
export function everyExample(): { readme: Example[]; help: Example[] } {
  const readme = markdownExamples(README(ROOT), 'README.md');
  const commands = allHelp(HOLY_BIN, COMMANDS.slice(1));
  const texts = new Set(commands.map((e) => e.lines.join('\n').replace(/\s+#.*$/, '')));
  const root = allHelp(HOLY_BIN, [[]]).filter((e) => !texts.has(e.lines.join('\n').replace(/\s+#.*$/, '')));
  return { readme, help: [...root, ...commands] };
}

/** One test per example (three at a time: each has its own workspace, ports and processes). */
export function runExamples(title: string, examples: Example[]): void {
  const seen = new Set<string>();
  const unique = examples.filter((e) => {
    const key = e.lines.join('\n');
    return !seen.has(key) && seen.add(key);
  });
  describe(title, { concurrency: 3 }, () => {
    for (const e of unique) {
      test(`${e.where}: ${e.lines.join(' ⏎ ')}`, async () => {
        const { codes, output, script } = await run(e);
        const want = e.lines.filter((l) => !/&\s*$/.test(l) && !/^kill %\d$/.test(l)).map((l) => EXPECTED[l] ?? 0);
        assert.deepEqual(codes, want, `exit codes ${JSON.stringify(codes)}, documented ${JSON.stringify(want)}\n--- script\n${script}--- output\n${output.slice(-3000)}`);
      });
    }
  });
}
