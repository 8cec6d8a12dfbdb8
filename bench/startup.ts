/**
 * Startup benchmark (`npm run bench:startup`): how much slower `holy --help` starts than a bare `node -e 0`
 * (ratio, measured alternately in the same run), and the wall time of a whole `holy verify` against two
 * loopback mocks. One line per figure with its target; exit 1 when a target is missed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMock } from '../src/mock/server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'holy.js');
const N = Number(process.env.BENCH_N ?? 15);
const WARMUP = 2;
const HELP_RATIO_TARGET = 2.5;
const VERIFY_MS_TARGET = 150;

/** Wall time of one child process, spawn → exit, in ms; rejects on a non-zero exit. */
function timeRun(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) reject(new Error(`node ${args.join(' ')} exited ${code}: ${err.trim()}`));
      else resolve(ms);
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function line(name: string, value: string, target: string, pass: boolean): void {
  process.stdout.write(`${name.padEnd(34)} ${value.padStart(12)}   target ${target.padEnd(10)} ${pass ? 'PASS' : 'FAIL'}\n`);
}

const baseEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, NO_COLOR: '1' };
let failed = false;

// 1. `holy --help` vs `node -e 0`, alternated so drift in machine load hits both alike.
const bare: number[] = [];
const help: number[] = [];
for (let i = 0; i < WARMUP + N; i++) {
  const a = await timeRun(['-e', '0'], baseEnv);
  const b = await timeRun([BIN, '--help'], baseEnv);
  if (i >= WARMUP) {
    bare.push(a);
    help.push(b);
  }
}
const ratio = median(help) / median(bare);
line('node -e 0 (median)', `${median(bare).toFixed(1)} ms`, 'reference', true);
line('holy --help (median)', `${median(help).toFixed(1)} ms`, '-', true);
line('holy --help / node -e 0', `${ratio.toFixed(2)}x`, `<= ${HELP_RATIO_TARGET}x`, ratio <= HELP_RATIO_TARGET);
failed ||= ratio > HELP_RATIO_TARGET;

// 2. `holy verify` end to end against two mocks (both providers: key, URL, network, GET /models).
const OLD_KEY = 'hs-bench-0000000000000000';
const NEW_KEY = 'hs-bench-1111111111111111';
const old = await startMock({ key: OLD_KEY, label: 'old' });
const nw = await startMock({ key: NEW_KEY, label: 'new' });
const dir = mkdtempSync(join(tmpdir(), 'holy-bench-'));
try {
  writeFileSync(join(dir, 'holy.config.json'), JSON.stringify({ providers: { official: { baseURL: old.url }, holysheep: { baseURL: nw.url } } }));
  const env = { ...baseEnv, OPENAI_API_KEY: OLD_KEY, HOLYSHEEP_API_KEY: NEW_KEY };
  const verify: number[] = [];
  for (let i = 0; i < WARMUP + N; i++) {
    const ms = await timeRun([BIN, 'verify', '-q'], env, dir);
    if (i >= WARMUP) verify.push(ms);
  }
  const v = median(verify);
  line('holy verify, 2 mocks (median)', `${v.toFixed(1)} ms`, `<= ${VERIFY_MS_TARGET} ms`, v <= VERIFY_MS_TARGET);
  line('holy verify / node -e 0', `${(v / median(bare)).toFixed(2)}x`, '-', true);
  failed ||= v > VERIFY_MS_TARGET;
  if (old.requests.length < N || nw.requests.length < N) throw new Error('verify did not reach the mocks on every run');
} finally {
  await Promise.all([old.close(), nw.close()]);
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
