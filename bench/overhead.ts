/**
 * Overhead benchmark (`npm run bench:overhead`): how much time holy bench itself adds on top of the
 * server, and how much memory a 100k-request replay takes. One run, one line per figure with its
 * target, PASS/FAIL; exit 1 when a target is missed.
 *
 * 1. E2E overhead: against a zero-delay server in its own process, holy bench (another process) at
 *    concurrency 32 (-c 16 pairs, both providers pointing at the server); holy's p50/p99 E2E minus
 *    the server's own handling time (request event → response finished, measured inside it).
 *    Autocannon's latency at the same concurrency is printed beside it: at saturation most of the
 *    E2E is queueing (Little's law: mean E2E ≈ 32 ÷ throughput), which every client pays.
 * 2. Throughput: holy's non-streaming requests/s over autocannon's against the same endpoint, same
 *    concurrency and body.
 * 1b. The same overhead below saturation: open loop at a tenth of that throughput.
 * 3. Memory: peak RSS (VmHWM) of holy bench replaying 100k pairs (200k requests) with --out.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'holy.js');
const C = 32;
const PAIRS = C / 2;
const N = Number(process.env.BENCH_N ?? 20_000);
const BIG = Number(process.env.BENCH_BIG ?? 100_000);
const KEY = 'hs-benchoverhead0000';
const require = createRequire(import.meta.url);

const REQUEST = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say ok.' }], max_tokens: 4 };

function line(name: string, value: string, target: string, pass: boolean | undefined): void {
  process.stdout.write(`${name.padEnd(40)} ${value.padStart(22)}   target ${target.padEnd(12)} ${pass === undefined ? 'SKIP' : pass ? 'PASS' : 'FAIL'}\n`);
}

/** Chat-request JSONL traffic: n distinct small requests. */
async function writeTraffic(file: string, n: number): Promise<void> {
  const ws = createWriteStream(file);
  for (let i = 0; i < n; i++) {
    const l = JSON.stringify({ ...REQUEST, messages: [{ role: 'user', content: `Say ok ${i}.` }] });
    if (!ws.write(l + '\n')) await new Promise<void>((r) => ws.once('drain', () => r()));
  }
  await new Promise<void>((r) => ws.end(r));
}

function ask<T>(child: ChildProcess, msg: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(msg);
  });
}

/**
 * Run holy bench in a child process with both providers ("a" and "b") pointing at the server, so
 * -c 16 pairs keep 32 requests in flight; returns parsed --json stdout and the peak RSS in /proc.
 */
function holy(args: string[], url: string): Promise<{ doc: any; peakKB?: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'bench', ...args, '--old', `a=${url}`, '--new', `b=${url}`, '--json', '-q', '--yes'], { env: { PATH: process.env.PATH, A_API_KEY: KEY, B_API_KEY: KEY, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let peakKB: number | undefined;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKB = Math.max(peakKB ?? 0, Number(m[1]));
      } catch {
        /* exited, or no /proc here */
      }
    }, 50);
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      if (code !== 0) return reject(new Error(`holy bench exited ${code}: ${err.trim().slice(0, 500)}`));
      resolve({ doc: JSON.parse(out), ...(peakKB !== undefined ? { peakKB } : {}) });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'holy-overhead-'));
const server = fork(fileURLToPath(new URL('./overhead-server.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
let failed = false;
try {
  const { port } = await new Promise<{ port: number }>((r) => server.once('message', (m) => r(m as { port: number })));
  const url = `http://127.0.0.1:${port}/v1`;
  const small = join(dir, 'small.jsonl');
  await writeTraffic(small, 2000);

  // 1. E2E overhead over the server's own handling time, concurrency 32, non-streaming (closed loop).
  await holy([small, '-n', '2000', '-c', String(PAIRS), '--stream', 'off'], url); // warm the server's JIT
  await ask(server, 'reset');
  const run = await holy([small, '-n', String(N / 2), '-c', String(PAIRS), '--stream', 'off', '--warmup', '1000'], url);
  const srv = await ask<{ n: number; p50: number; p99: number }>(server, 'stats');
  // Both sides hit the same server; the worse side counts.
  const sides = [run.doc.summary.old.e2eMs, run.doc.summary.new.e2eMs];
  const e2e = { p: { '50': Math.max(...sides.map((d) => d.p['50'])), '99': Math.max(...sides.map((d) => d.p['99'])) } };
  const d50 = e2e.p['50'] - srv.p50;
  const d99 = e2e.p['99'] - srv.p99;

  // The same endpoint, concurrency and body through autocannon: the reference for throughput, and
  // for how much of the latency at c=32 is queueing that any client sees on a saturated box.
  const autocannon = require('autocannon') as (o: object) => Promise<{ requests: { total: number }; duration: number; latency: { p50: number; p99: number } }>;
  const ac = await autocannon({ url: `${url}/chat/completions`, connections: C, amount: N, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify(REQUEST) });
  await ask(server, 'stats');
  line('E2E p50 over server handling, c=32', `+${d50.toFixed(2)} ms`, '≤ +1 ms', d50 <= 1);
  line('E2E p99 over server handling, c=32', `+${d99.toFixed(2)} ms`, '≤ +3 ms', d99 <= 3);
  failed ||= d50 > 1 || d99 > 3;
  process.stdout.write(`  holy p50 ${e2e.p['50'].toFixed(2)} / p99 ${e2e.p['99'].toFixed(2)} ms · server handling p50 ${srv.p50.toFixed(3)} / p99 ${srv.p99.toFixed(3)} ms · autocannon (same c=32) p50 ${ac.latency.p50} / p99 ${ac.latency.p99} ms\n`);
  process.stdout.write(`  ratio holy/autocannon latency: p50 ×${(e2e.p['50'] / Math.max(ac.latency.p50, 0.5)).toFixed(2)}, p99 ×${(e2e.p['99'] / Math.max(ac.latency.p99, 0.5)).toFixed(2)}\n`);

  // 2. Throughput against autocannon.
  const holyRps: number = run.doc.summary.old.requestsPerS + run.doc.summary.new.requestsPerS;
  const acRps = ac.requests.total / ac.duration;
  const share = holyRps / acRps;
  line('non-streaming throughput vs autocannon', `${(share * 100).toFixed(0)}% (${holyRps.toFixed(0)}/${acRps.toFixed(0)} rps)`, '≥ 50%', share >= 0.5);
  failed ||= share < 0.5;

  // 1b. The same overhead below saturation (open loop at a tenth of holy's closed-loop rate): what holy
  // itself adds per request when neither process is queueing.
  const rate = Math.max(50, Math.round(holyRps / 2 / 10)); // pairs per second: a tenth of the closed loop's
  await ask(server, 'reset');
  const open = await holy([small, '-n', String(Math.min(N / 2, rate * 10)), '--rate', String(rate), '--stream', 'off', '--warmup', '500'], url);
  const srv2 = await ask<{ n: number; p50: number; p99: number }>(server, 'stats');
  const e2s = [open.doc.summary.old.e2eMs, open.doc.summary.new.e2eMs];
  const e2 = { p: { '50': Math.max(...e2s.map((d) => d.p['50'])), '99': Math.max(...e2s.map((d) => d.p['99'])) } };
  const o50 = e2.p['50'] - srv2.p50;
  const o99 = e2.p['99'] - srv2.p99;
  line(`E2E p50 over server, open ${rate} pairs/s`, `+${o50.toFixed(2)} ms`, '≤ +1 ms', o50 <= 1);
  line(`E2E p99 over server, open ${rate} pairs/s`, `+${o99.toFixed(2)} ms`, '≤ +3 ms', o99 <= 3);
  failed ||= o50 > 1 || o99 > 3;
  await ask(server, 'reset');

  // 3. Peak RSS replaying 100k requests with results streamed to disk.
  const big = join(dir, 'big.jsonl');
  await writeTraffic(big, BIG);
  const outFile = join(dir, 'results.jsonl');
  const mem = await holy([big, '-c', String(PAIRS), '--stream', 'off', '--show-worst', '0', '--out', outFile], url);
  const lines = readFileSync(outFile, 'utf8').split('\n').filter(Boolean).length;
  if (lines !== 2 * BIG) throw new Error(`results file has ${lines} lines, expected ${2 * BIG}`);
  if (mem.peakKB === undefined) line(`peak RSS, ${BIG} requests`, 'n/a (no /proc)', '< 250 MB', undefined);
  else {
    const mb = mem.peakKB / 1024;
    line(`peak RSS, ${BIG} pairs + --out`, `${mb.toFixed(0)} MB (${(mb / 250).toFixed(2)}× limit)`, '< 250 MB', mb < 250);
    failed ||= mb >= 250;
  }
  process.stdout.write(`  (results file ${(statSync(outFile).size / 1e6).toFixed(0)} MB, ${lines} lines; ${mem.doc.summary.new.ok + mem.doc.summary.old.ok}/${mem.doc.summary.new.requests + mem.doc.summary.old.requests} ok at ${(mem.doc.summary.new.requestsPerS + mem.doc.summary.old.requestsPerS).toFixed(0)} rps)\n`);
} catch (e) {
  process.stderr.write(`bench:overhead failed: ${(e as Error).message}\n`);
  failed = true;
} finally {
  server.send('exit');
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
