/**
 * Overhead benchmark (`npm run bench:overhead`): how much time holy bench itself adds on top of the
 * server, and how much memory a 100k-request replay takes. One run, one line per figure with its
 * target, PASS/FAIL; exit 1 when a target is missed.
 *
 * 1. E2E overhead: against a zero-delay server in its own process, holy bench (another process) at
 *    concurrency 32; holy's p50/p99 E2E minus the server's own handling time (measured inside it).
 * 2. Throughput: holy's non-streaming requests/s over autocannon's against the same endpoint, same
 *    concurrency and body.
 * 3. Memory: peak RSS (VmHWM) of holy bench replaying 100k requests with --out to a temp file.
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
const N = Number(process.env.BENCH_N ?? 20_000);
const BIG = Number(process.env.BENCH_BIG ?? 100_000);
const KEY = 'hs-benchoverhead0000';
const require = createRequire(import.meta.url);

const REQUEST = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say ok.' }], max_tokens: 4 };
const RECORDED = { id: 'x', object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 } };

function line(name: string, value: string, target: string, pass: boolean | undefined): void {
  process.stdout.write(`${name.padEnd(40)} ${value.padStart(22)}   target ${target.padEnd(12)} ${pass === undefined ? 'SKIP' : pass ? 'PASS' : 'FAIL'}\n`);
}

/** Traffic in holy-results format with a recorded baseline, so `--old recorded` sends only to the new side. */
async function writeTraffic(file: string, n: number): Promise<void> {
  const ws = createWriteStream(file);
  for (let i = 0; i < n; i++) {
    const l = JSON.stringify({ id: `r${i}`, role: 'old', model: REQUEST.model, request: { ...REQUEST, messages: [{ role: 'user', content: `Say ok ${i}.` }] }, response: { status: 200, body: RECORDED, error: null }, timings: { ttfbMs: 1, ttftMs: null, e2eMs: 1 } });
    if (!ws.write(l + '\n')) await new Promise<void>((r) => ws.once("drain", () => r()));
  }
  await new Promise<void>((r) => ws.end(r));
}

function ask<T>(child: ChildProcess, msg: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(msg);
  });
}

/** Run holy bench in a child process; returns parsed --json stdout and the peak RSS seen in /proc. */
function holy(args: string[], url: string): Promise<{ doc: any; peakKB?: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'bench', ...args, '--old', 'recorded', '--new', `srv=${url}`, '--json', '-q'], { env: { PATH: process.env.PATH, SRV_API_KEY: KEY, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
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

  // 1. E2E overhead over the server's own handling time, concurrency 32, non-streaming.
  await holy([small, '-n', '2000', '-c', String(C), '--stream', 'off'], url); // warm the server's JIT
  await ask(server, 'reset');
  const run = await holy([small, '-n', String(N), '-c', String(C), '--stream', 'off', '--warmup', '500'], url);
  const srv = await ask<{ n: number; p50: number; p99: number }>(server, 'stats');
  const e2e = run.doc.summary.new.e2eMs;
  const d50 = e2e.p['50'] - srv.p50;
  const d99 = e2e.p['99'] - srv.p99;
  line('E2E p50 over server handling (c=32)', `+${d50.toFixed(3)} ms (×${(e2e.p['50'] / srv.p50).toFixed(1)})`, '≤ +1 ms', d50 <= 1);
  line('E2E p99 over server handling (c=32)', `+${d99.toFixed(3)} ms (×${(e2e.p['99'] / srv.p99).toFixed(1)})`, '≤ +3 ms', d99 <= 3);
  failed ||= d50 > 1 || d99 > 3;
  process.stdout.write(`  (holy E2E p50 ${e2e.p['50'].toFixed(3)} / p99 ${e2e.p['99'].toFixed(3)} ms; server handling p50 ${srv.p50.toFixed(3)} / p99 ${srv.p99.toFixed(3)} ms over ${srv.n} requests)\n`);

  // 2. Throughput against autocannon, same endpoint, concurrency and body.
  const holyRps: number = run.doc.summary.new.requestsPerS;
  const autocannon = require('autocannon') as (o: object) => Promise<{ requests: { total: number }; duration: number; non2xx: number; errors: number }>;
  const ac = await autocannon({ url: `${url}/chat/completions`, connections: C, amount: N, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify(REQUEST) });
  const acRps = ac.requests.total / ac.duration;
  const share = holyRps / acRps;
  line('non-streaming throughput vs autocannon', `${(share * 100).toFixed(0)}% (${holyRps.toFixed(0)}/${acRps.toFixed(0)} rps)`, '≥ 50%', share >= 0.5);
  failed ||= share < 0.5;
  await ask(server, 'reset');

  // 3. Peak RSS replaying 100k requests with results streamed to disk.
  const big = join(dir, 'big.jsonl');
  await writeTraffic(big, BIG);
  const outFile = join(dir, 'results.jsonl');
  const mem = await holy([big, '-c', String(C), '--stream', 'off', '--show-worst', '0', '--out', outFile], url);
  const lines = readFileSync(outFile, 'utf8').split('\n').filter(Boolean).length;
  if (lines !== 2 * BIG) throw new Error(`results file has ${lines} lines, expected ${2 * BIG}`);
  if (mem.peakKB === undefined) line(`peak RSS, ${BIG} requests`, 'n/a (no /proc)', '< 250 MB', undefined);
  else {
    const mb = mem.peakKB / 1024;
    line(`peak RSS, ${BIG} requests + --out`, `${mb.toFixed(0)} MB (${(mb / 250).toFixed(2)}× limit)`, '< 250 MB', mb < 250);
    failed ||= mb >= 250;
  }
  process.stdout.write(`  (results file ${(statSync(outFile).size / 1e6).toFixed(0)} MB, ${lines} lines; ${mem.doc.summary.new.ok}/${mem.doc.summary.new.requests} ok at ${mem.doc.summary.new.requestsPerS.toFixed(0)} rps)\n`);
} catch (e) {
  process.stderr.write(`bench:overhead failed: ${(e as Error).message}\n`);
  failed = true;
} finally {
  server.send('exit');
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
