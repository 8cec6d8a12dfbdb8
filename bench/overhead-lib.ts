/** Helpers for bench/overhead: traffic files, holy bench and autocannon in child processes, RSS sampling. */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'holy.js');
export const KEY = 'hs-benchoverhead0000';
export const REQUEST = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say ok.' }], max_tokens: 4 };
const require = createRequire(import.meta.url);

export interface Q {
  n: number;
  p50: number;
  p99: number;
}

export function line(name: string, value: string, target: string, pass: boolean | undefined): void {
  process.stdout.write(`${name.padEnd(46)} ${value.padStart(30)}   target ${target.padEnd(14)} ${pass === undefined ? 'SKIP' : pass ? 'PASS' : 'FAIL'}\n`);
}

export const f3 = (v: number) => v.toFixed(3);

/** Chat-request JSONL traffic: n distinct small requests. */
export async function writeTraffic(file: string, n: number): Promise<void> {
  const ws = createWriteStream(file);
  for (let i = 0; i < n; i++) {
    const l = JSON.stringify({ ...REQUEST, messages: [{ role: 'user', content: `Say ok ${i}.` }] });
    if (!ws.write(l + '\n')) await new Promise<void>((r) => ws.once('drain', () => r()));
  }
  await new Promise<void>((r) => ws.end(r));
}

export function ask<T>(child: ChildProcess, msg: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(msg);
  });
}

function rssKB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined; // exited, or no /proc here
  }
}

/**
 * Run holy bench in a child process with both providers ("a" and "b") pointing at the server;
 * returns the parsed --json summary, the peak RSS, and `every` ms samples of (elapsed, RSS).
 */
export function holy(args: string[], url: string, sample?: { everyMs: number; tick(rssKB: number): void }): Promise<{ summary: any; peakKB?: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'bench', ...args, '--old', `a=${url}`, '--new', `b=${url}`, '--json', '-q', '--yes'], { env: { PATH: process.env.PATH, A_API_KEY: KEY, B_API_KEY: KEY, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let peakKB: number | undefined;
    const poll = setInterval(() => {
      const hwm = rssKB(child.pid!, 'VmHWM');
      if (hwm) peakKB = Math.max(peakKB ?? 0, hwm);
    }, 50);
    const tick = sample ? setInterval(() => {
      const r = rssKB(child.pid!, 'VmRSS');
      if (r) sample.tick(r);
    }, sample.everyMs) : undefined;
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      clearInterval(tick);
      if (code !== 0) return reject(new Error(`holy bench exited ${code}: ${err.trim().slice(0, 500)}`));
      resolve({ summary: JSON.parse(out).summary, ...(peakKB !== undefined ? { peakKB } : {}) });
    });
  });
}

/**
 * Autocannon at `connections` against the same endpoint and body. Its own histogram has whole-
 * millisecond resolution (a p50 of 0), so each response time (fractional ms, from process.hrtime)
 * is collected here and the percentiles are exact.
 */
export async function autocannon(url: string, connections: number, amount: number): Promise<{ q: Q; rps: number; mean: number }> {
  const run = require('autocannon') as (o: object) => { on(ev: 'response', f: (c: unknown, status: number, bytes: number, ms: number) => void): void } & PromiseLike<{ requests: { total: number }; duration: number }>;
  const times = new Float64Array(amount + connections);
  let n = 0;
  const inst = run({ url, connections, amount, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify(REQUEST) });
  inst.on('response', (_c, status, _b, ms) => {
    if (status === 200 && n < times.length) times[n++] = ms;
  });
  const r = await inst;
  const s = times.subarray(0, n).sort();
  const at = (p: number) => s[Math.max(0, Math.ceil((p / 100) * n) - 1)]!;
  return { q: { n, p50: at(50), p99: at(99) }, rps: r.requests.total / r.duration, mean: s.reduce((a, b) => a + b, 0) / Math.max(1, n) };
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den ? num / den : 0;
}

/**
 * holy bench in a child with --expose-gc (soak-driver.ts): every second the child reports live JS
 * memory after a collection and its RSS; `served()` is asked at the same moment for the pairs done.
 */
export function soak(args: string[], url: string, served: () => Promise<number>): Promise<{ summary: any; pts: Array<{ pairs: number; liveMB: number; rssMB: number }> }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./soak-driver.js', import.meta.url)), [...args, '--old', `a=${url}`, '--new', `b=${url}`, '--json', '-q', '--yes'], {
      execArgv: ['--expose-gc'],
      env: { PATH: process.env.PATH, A_API_KEY: KEY, B_API_KEY: KEY, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const pts: Array<{ pairs: number; liveMB: number; rssMB: number }> = [];
    let chain: Promise<void> = Promise.resolve();
    let out = '';
    let err = '';
    child.on('message', (m: { live: number; rss: number }) => {
      chain = chain.then(async () => void pts.push({ pairs: (await served()) / 2, liveMB: m.live / 2 ** 20, rssMB: m.rss / 2 ** 20 }));
    });
    child.stdout!.on('data', (c: Buffer) => (out += c));
    child.stderr!.on('data', (c: Buffer) => (err += c));
    child.on('error', reject);
    child.on('close', async (code) => {
      await chain;
      if (code !== 0) return reject(new Error(`holy bench (soak) exited ${code}: ${err.trim().slice(0, 500)}`));
      resolve({ summary: JSON.parse(out).summary, pts });
    });
  });
}
