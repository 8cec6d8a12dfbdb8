/**
 * Measurement parts of bench/gateway (`npm run bench:gateway`): child processes (upstream, floor
 * proxy, gateway, redis-server), an open-loop client with sub-millisecond resolution, autocannon
 * for throughput, held streams for memory, and the report's lines. Everything binds or connects to
 * 127.0.0.1 only; every wait is bounded. The runner that strings them together is gateway-run.ts.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer, type AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool, type Dispatcher } from 'undici';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'holy.js');
const require = createRequire(import.meta.url);
/** The upstream's key (the upstream ignores it; the gateway reads it from this variable). Not key-shaped. */
export const UP_KEY = 'gwbench-upstream-key';
const LOOPBACK = /^http:\/\/127\.0\.0\.1:\d+$/;

// ------------------------------------------------------------------------------------------ numbers
/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function pct(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  return n ? sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]! : NaN;
}
export interface Q {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}
export function quantiles(xs: ArrayLike<number>): Q {
  const s = Float64Array.from(xs).sort();
  let sum = 0;
  for (const x of s) sum += x;
  return { n: s.length, p50: pct(s, 50), p90: pct(s, 90), p99: pct(s, 99), p999: pct(s, 99.9), max: s.length ? s[s.length - 1]! : NaN, mean: s.length ? sum / s.length : NaN };
}
export const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
/** A share as a percentage, one decimal, rounded down: a share just under a "≥" target never prints as the target (0.4996 → "49.9%"). */
export const percent = (share: number) => (Number.isFinite(share) ? `${(Math.floor(share * 1000 + 1e-9) / 10).toFixed(1)}%` : 'n/a');
export const signed = (v: number, d = 3) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(d)}` : 'n/a');

// ------------------------------------------------------------------------------------------ the machine
/** What a lone busy thread lost to the machine (kernel, hypervisor, other tenants): pauses over `overUs`. */
export interface Pauses {
  ms: number;
  overUs: number;
  /** Pauses over overUs. */
  n: number;
  /** Their share of the time, %. */
  lostPct: number;
  /** The longest, ms. */
  longestMs: number;
}
/**
 * Spin on this thread for `ms` and count the gaps between consecutive clock reads longer than
 * `overUs` µs: time the thread was runnable but not running. Run while the servers idle, it says how
 * much of a p99 in milliseconds the machine itself can make; `clock` (ns) is injectable for tests.
 */
export function machinePauses(ms: number, overUs = 100, clock: () => bigint = process.hrtime.bigint): Pauses {
  const start = clock();
  const end = start + BigInt(Math.round(ms * 1e6));
  const over = BigInt(overUs * 1000);
  let last = start;
  let n = 0;
  let lost = 0n;
  let longest = 0n;
  for (let t = clock(); t < end; t = clock()) {
    const gap = t - last;
    if (gap > over) {
      n++;
      lost += gap;
      if (gap > longest) longest = gap;
    }
    last = t;
  }
  const total = Number(last - start) || 1;
  return { ms, overUs, n, lostPct: (100 * Number(lost)) / total, longestMs: Number(longest) / 1e6 };
}

// ------------------------------------------------------------------------------------------ report
export interface BenchLine {
  /** Stable id for tests and the JSON report, e.g. "added.p50". */
  id: string;
  name: string;
  measured: string;
  target: string;
  /** true PASS, false FAIL, null SKIP (the part is missing or the figure could not be taken). */
  pass: boolean | null;
  value?: number;
}
export interface BenchReport {
  quick: boolean;
  /** busy: load average over 0.7 per CPU; noisy: a machine pause (machinePauses) over half the p99 budget. */
  machine: { cpus: number; load1: number; busy: boolean; noisy?: boolean; node: string; pauses?: Pauses };
  placement: string;
  anchors: string[];
  lines: BenchLine[];
  notes: string[];
  /** Every figure by name (ms, rps, MB, ratios), for JSON and the docs. */
  figures: Record<string, number>;
  failed: boolean;
}

export class Reporter {
  readonly report: BenchReport;
  constructor(
    quick: boolean,
    machine: BenchReport['machine'],
    placement: string,
    anchors: string[],
    private readonly out: (s: string) => void,
  ) {
    this.report = { quick, machine, placement, anchors, lines: [], notes: [], figures: {}, failed: false };
  }
  /** A figure with a target: one aligned line with PASS/FAIL/SKIP. */
  line(l: BenchLine): void {
    this.report.lines.push(l);
    if (l.value !== undefined) this.report.figures[l.id] = l.value;
    if (l.pass === false) this.report.failed = true;
    this.out(`${l.name.padEnd(52)} ${l.measured.padStart(26)}   target ${l.target.padEnd(12)} ${l.pass === null ? 'SKIP' : l.pass ? 'PASS' : 'FAIL'}\n`);
  }
  /** A part that could not run: a SKIP line saying why and what would make it run. */
  skip(id: string, name: string, target: string, why: string): void {
    this.line({ id, name, measured: 'not measured', target, pass: null });
    this.note(`skipped: ${why.split('\n')[0]}`);
  }
  note(s: string): void {
    this.report.notes.push(s);
    this.out(`  ${s}\n`);
  }
  heading(s: string): void {
    this.out(`\n${s}\n`);
  }
  figure(id: string, v: number): void {
    this.report.figures[id] = v;
  }
}

// ------------------------------------------------------------------------------------------ processes
/** Every child started here, so a failure or a timeout can end them all (by pid, nothing else). */
const children = new Set<ChildProcess>();
export function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}
function exited(c: ChildProcess, ms: number): Promise<boolean> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(true);
  return new Promise((r) => {
    const t = setTimeout(() => r(false), ms);
    c.once('exit', () => {
      clearTimeout(t);
      r(true);
    });
  });
}
/** SIGTERM (or an IPC exit), then SIGKILL after `ms`. */
async function stop(c: ChildProcess, ms: number, ipcExit = false): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  if (ipcExit && c.connected) c.send({ cmd: 'exit' });
  else c.kill('SIGTERM');
  if (!(await exited(c, ms))) {
    c.kill('SIGKILL');
    await exited(c, 2000);
  }
}
/** Next IPC message that `accept` takes, or reject after ms. */
function nextMessage<T>(c: ChildProcess, accept: (m: any) => boolean, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: unknown) => {
      if (!accept(m)) return;
      cleanup();
      resolve(m as T);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`${what}: the process exited (${code}) before answering`));
    };
    const t = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: no answer within ${ms} ms`));
    }, ms);
    const cleanup = () => {
      clearTimeout(t);
      c.off('message', on);
      c.off('exit', onExit);
    };
    c.on('message', on);
    c.once('exit', onExit);
  });
}
export function rssMB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN; // exited, or no /proc here
  }
}
// ------------------------------------------------------------------------------------------ placement
/** The CPUs a process may run on, as Linux lists them (`Cpus_allowed_list` in /proc/PID/status, e.g. "0" or "1-3"); undefined without /proc. */
export function cpusAllowed(pid: number): string | undefined {
  try {
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
/**
 * Why `--split` cannot pin processes here ("darwin, 8 CPU(s), taskset"; "linux, 2 CPU(s), no taskset"),
 * or undefined when it can: Linux, taskset (util-linux) on the PATH and at least 2 CPUs.
 */
export function splitUnavailable(): string | undefined {
  const n = cpus().length;
  const t = spawnSync('taskset', ['--version'], { stdio: 'ignore' });
  const taskset = !t.error && t.status === 0;
  return process.platform === 'linux' && n >= 2 && taskset ? undefined : `${process.platform}, ${n} CPU(s), ${taskset ? 'taskset' : 'no taskset'}`;
}
/** Every CPU but CPU 0, as taskset takes it ("1", "1-3"): where the client and the upstreams go when the servers under test have CPU 0. */
export function otherCpus(): string {
  const n = cpus().length;
  return n > 2 ? `1-${n - 1}` : '1';
}
/**
 * Put every thread of `pid` on the CPUs in `list` (such as "0" or "1-3") with util-linux's taskset;
 * threads it starts later inherit that from the thread that starts them. Returns the list the
 * kernel then reports, or throws saying why (no taskset, a CPU that does not exist).
 */
export function pinCpus(pid: number, list: string): string {
  const r = spawnSync('taskset', ['-a', '-p', '-c', list, String(pid)], { encoding: 'utf8', timeout: 5000 });
  if (r.error || r.status !== 0) throw new Error(`taskset -a -p -c ${list} ${pid} failed: ${r.error?.message ?? r.stderr.trim().split('\n')[0]}`);
  return cpusAllowed(pid) ?? list;
}

/** CPU time (user + system) a process has used, in ms, from /proc/PID/stat (clock ticks of 10 ms); NaN without /proc. */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime, stime; USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

// ------------------------------------------------------------------------------------------ upstream and floor
export interface Upstream {
  origin: string;
  child: ChildProcess;
  set(o: { ttftMs?: number; gapMs?: number; chunks?: number }): Promise<void>;
  /** Counters since the last call: requests served, streams, open held streams and their peak. */
  stats(): Promise<{ served: number; streams: number; open: number; peakOpen: number }>;
  release(): Promise<void>;
  close(): Promise<void>;
}
export async function startUpstream(): Promise<Upstream> {
  const child = track(fork(fileURLToPath(new URL('./gateway-upstream.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const { port } = await nextMessage<{ port: number }>(child, (m) => typeof m?.port === 'number', 10_000, 'upstream start');
  const ask = <T>(msg: object) => {
    const p = nextMessage<T>(child, () => true, 10_000, `upstream ${JSON.stringify(msg)}`);
    child.send(msg);
    return p;
  };
  return {
    origin: `http://127.0.0.1:${port}`,
    child,
    set: async (o) => void (await ask({ cmd: 'set', ...o })),
    stats: () => ask({ cmd: 'stats' }),
    release: async () => void (await ask({ cmd: 'release' })),
    close: () => stop(child, 3000, true),
  };
}
export interface Eld {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  n: number;
  rssBytes: number;
  heapBytes: number;
}
/** What the preloaded monitor (gateway-eld.ts) measures in the floor's and the gateway's process. */
export interface Monitor {
  eldStart(): Promise<void>;
  eld(): Promise<Eld>;
  /** Bytes the process's main thread allocates between allocStart() and alloc(). */
  allocStart(): Promise<void>;
  alloc(): Promise<number>;
}
/** The event-loop monitor preloaded into a child (gateway-eld.ts), driven over its IPC channel; also its allocation counter. */
export function eldOf(child: ChildProcess): Monitor {
  return {
    allocStart: async () => {
      const p = nextMessage<{ error?: string }>(child, (m) => m?.gwbench === 'alloc-started', 10_000, 'allocation sampling start');
      child.send({ gwbench: 'alloc-start' });
      const r = await p;
      if (r.error) throw new Error(`allocation sampling did not start: ${r.error}`);
    },
    alloc: async () => {
      const p = nextMessage<{ bytes: number; error?: string }>(child, (m) => m?.gwbench === 'alloc', 30_000, 'allocation sampling');
      child.send({ gwbench: 'alloc' });
      const r = await p;
      if (r.error) throw new Error(`allocation sampling failed: ${r.error}`);
      return r.bytes;
    },
    eldStart: async () => {
      const p = nextMessage(child, (m) => m?.gwbench === 'eld-started', 5000, 'event-loop monitor start');
      child.send({ gwbench: 'eld-start' });
      await p;
    },
    eld: async () => {
      const p = nextMessage<Eld>(child, (m) => m?.gwbench === 'eld', 5000, 'event-loop monitor');
      child.send({ gwbench: 'eld' });
      return p;
    },
  };
}
/** The monitor's preload, as `--import` takes it. */
export const ELD_PRELOAD = () => pathToFileURL(fileURLToPath(new URL('./gateway-eld.js', import.meta.url))).href;

/** The bare Node proxy (gateway-floor.ts) in front of `upstream`, with the event-loop monitor preloaded like the gateway. */
export async function startFloor(upstream: string): Promise<Monitor & { origin: string; child: ChildProcess; close(): Promise<void> }> {
  const child = track(fork(fileURLToPath(new URL('./gateway-floor.js', import.meta.url)), [upstream], { execArgv: ['--import', ELD_PRELOAD()], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { PATH: process.env.PATH, GWBENCH_UP_KEY: UP_KEY } }));
  const { port } = await nextMessage<{ port: number }>(child, (m) => typeof m?.port === 'number', 10_000, 'floor proxy start');
  return { origin: `http://127.0.0.1:${port}`, child, close: () => stop(child, 3000, true), ...eldOf(child) };
}

// ------------------------------------------------------------------------------------------ redis-server
export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  /** total_commands_processed (INFO stats), minus this INFO itself. */
  commands(): Promise<number>;
  close(): Promise<void>;
}
/** One RESP command over a fresh loopback socket; resolves with the raw reply text. */
function resp(port: number, args: string[], ms = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let buf = '';
    const t = setTimeout(() => (s.destroy(), reject(new Error('redis: no reply'))), ms);
    s.on('connect', () => s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    s.on('data', (c) => {
      buf += c.toString();
      const m = /^\$(\d+)\r\n/.exec(buf);
      if (buf.startsWith('+') || buf.startsWith('-') ? buf.includes('\r\n') : m && Buffer.byteLength(buf) >= m[0].length + Number(m[1]) + 2) {
        clearTimeout(t);
        s.end();
        resolve(buf);
      }
    });
    s.on('error', (e) => (clearTimeout(t), reject(e)));
  });
}
/** redis-server on a free loopback port, no persistence (like test/helpers/redis.ts). */
export async function startRedis(bin = '/usr/bin/redis-server'): Promise<RedisServer> {
  const port = await freePort();
  const child = track(spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: 'ignore' }));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (e) => reject(new Error(`${bin} could not start: ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`${bin} exited (${code}) at start-up`)));
  });
  failed.catch(() => undefined);
  const deadline = performance.now() + 10_000;
  for (;;) {
    try {
      if ((await Promise.race([resp(port, ['PING'], 500), failed])).startsWith('+PONG')) break;
    } catch (e) {
      if (child.exitCode !== null || performance.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    pid: child.pid!,
    commands: async () => Number(/total_commands_processed:(\d+)/.exec(await resp(port, ['INFO', 'stats']))?.[1] ?? NaN) - 1,
    close: () => stop(child, 3000),
  };
}

// ------------------------------------------------------------------------------------------ the gateway
export interface GatewaySpec {
  /** Folder for its config, state, ledger and log (made if missing). */
  dir: string;
  /** Provider name → loopback origin of an upstream. The first is the route's primary. */
  providers: Record<string, string>;
  /** Merged into gateway.route (shadow, canary…). */
  route?: Record<string, unknown>;
  /** gateway.store (a redis:// URL); undefined = embedded. */
  store?: string;
  /** The holy to run (another checkout's bin/holy.js, for bench:gateway-pair); default this build's. */
  bin?: string;
  /** Preload the event-loop monitor (default true; its 1 ms timer costs CPU of its own, so bench:gateway-pair leaves it out). */
  monitor?: boolean;
}
export interface Gateway extends Monitor {
  origin: string;
  pid: number;
  /** The tenant key made for this run (never printed). */
  key: string;
  ledgerFile: string;
  logFile: string;
  /** GET /metrics text, or undefined when the gateway serves none. */
  metrics(): Promise<string | undefined>;
  logTail(lines?: number): string;
  close(): Promise<void>;
}
/** Does this build have `holy gateway`? (`holy gateway --help` prints "Usage: holy gateway".) */
export async function gatewayAvailable(): Promise<boolean> {
  const r = await run(['gateway', '--help'], ROOT, { PATH: process.env.PATH, NO_COLOR: '1' }, 30_000);
  return r.code === 0 && /Usage: holy gateway/.test(r.out);
}
function run(args: string[], cwd: string, env: NodeJS.ProcessEnv, ms: number, bin = BIN): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = track(spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    c.stdout!.on('data', (b: Buffer) => (out += b));
    c.stderr!.on('data', (b: Buffer) => (err += b));
    const t = setTimeout(() => c.kill('SIGKILL'), ms);
    c.once('close', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}
/** The config file bench/gateway runs with: one tenant on a plan that never limits the bench. */
export function gatewayConfig(spec: GatewaySpec): object {
  const names = Object.keys(spec.providers);
  const providers: Record<string, object> = {};
  for (const [name, origin] of Object.entries(spec.providers)) {
    if (!LOOPBACK.test(origin)) throw new Error(`bench/gateway: provider ${name} must be a loopback origin, got ${origin}`);
    providers[name] = { baseURL: `${origin}/v1`, apiKeyEnv: 'GWBENCH_UP_API_KEY' };
  }
  return {
    providers,
    gateway: {
      plans: { bench: { rpm: 100_000_000, tpm: 1_000_000_000_000, models: ['*'], tools: ['*'], weight: 1 } },
      tenants: { bench: { plan: 'bench' } },
      route: { primary: names[0], maxInFlight: 8192, ...(spec.route ?? {}) },
      ledger: 'ledger.db',
      state: 'state.db',
      ...(spec.store ? { store: spec.store } : {}),
    },
  };
}
/**
 * `holy --json gateway keys add bench`, then `node --import gateway-eld.js bin/holy.js gateway
 * --port 0 --drain 2` in spec.dir, its own process and event loop like production. Its stderr (JSON log
 * lines) goes to a file, not through this process. Resolves once the first stdout line (its URL) is out.
 */
export async function startGateway(spec: GatewaySpec): Promise<Gateway> {
  mkdirSync(spec.dir, { recursive: true });
  writeFileSync(join(spec.dir, 'holy.config.json'), JSON.stringify(gatewayConfig(spec), null, 2));
  const env = { PATH: process.env.PATH, HOME: spec.dir, NO_COLOR: '1', GWBENCH_UP_API_KEY: UP_KEY };
  const bin = spec.bin ?? BIN;
  const made = await run(['--json', 'gateway', 'keys', 'add', 'bench'], spec.dir, env, 30_000, bin);
  let key: string | undefined;
  try {
    key = (JSON.parse(made.out) as { key?: string }).key;
  } catch {
    key = undefined;
  }
  if (made.code !== 0 || !key) throw new Error(`holy gateway keys add exited ${made.code}: ${(made.err || made.out).trim().slice(0, 400)}`);
  const logFile = join(spec.dir, 'gateway.log');
  const logFd = openSync(logFile, 'a');
  const child = track(spawn(process.execPath, [...(spec.monitor === false ? [] : ['--import', ELD_PRELOAD()]), bin, 'gateway', '--port', '0', '--drain', '2'], { cwd: spec.dir, env, stdio: ['ignore', 'pipe', logFd, 'ipc'] }));
  closeSync(logFd);
  const logTail = (n = 8) => {
    try {
      return readFileSync(logFile, 'utf8').trim().split('\n').slice(-n).join('\n');
    } catch {
      return '';
    }
  };
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`holy gateway printed no URL within 30 s: ${logTail()}`)), 30_000);
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => {
      clearTimeout(t);
      child.stdout!.resume();
      resolve(l.trim());
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`holy gateway exited ${code} at start-up: ${logTail(4)}`));
    });
  }).catch(async (e) => {
    await stop(child, 3000);
    throw e;
  });
  const origin = url.replace(/\/v1\/?$/, '');
  if (!LOOPBACK.test(origin)) {
    await stop(child, 3000);
    throw new Error(`holy gateway's first line is not a loopback URL: ${url.slice(0, 100)}`);
  }
  const pool = new Pool(origin, { connections: 2 });
  const get = async (auth: boolean): Promise<{ status: number; text: string }> => {
    const r = await pool.request({ path: '/metrics', method: 'GET', headers: auth ? { authorization: `Bearer ${key}` } : {}, headersTimeout: 10_000, bodyTimeout: 10_000 });
    return { status: r.statusCode, text: await r.body.text() };
  };
  return {
    origin,
    pid: child.pid!,
    key,
    ledgerFile: join(spec.dir, 'ledger.db'),
    logFile,
    ...eldOf(child),
    metrics: async () => {
      try {
        let r = await get(false);
        if (r.status === 401 || r.status === 403) r = await get(true);
        return r.status === 200 ? r.text : undefined;
      } catch {
        return undefined;
      }
    },
    logTail,
    close: async () => {
      await pool.close().catch(() => undefined);
      await stop(child, 15_000);
    },
  };
}
/** A sample's value from Prometheus text (first series of that name); undefined when absent. */
export function metric(text: string | undefined, name: string): number | undefined {
  if (!text) return undefined;
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+|NaN)`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}
/** Sum of every series whose name matches (e.g. ledger rows written, whatever the exact name). */
export function metricSum(text: string | undefined, name: RegExp): { name: string; value: number } | undefined {
  if (!text) return undefined;
  let found: string | undefined;
  let sum = 0;
  for (const l of text.split('\n')) {
    if (l.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+([0-9.eE+-]+)/.exec(l);
    if (m && name.test(m[1]!)) {
      found ??= m[1];
      sum += Number(m[2]);
    }
  }
  return found ? { name: found, value: sum } : undefined;
}
/** Rows in the ledger file (its one table with a tenant column), read with better-sqlite3; undefined if unreadable. */
export function ledgerRows(file: string): number | undefined {
  try {
    const Database = require('better-sqlite3') as new (f: string, o: object) => { prepare(s: string): { all(): any[]; get(): any }; close(): void };
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      for (const { name } of db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]) {
        const cols = db.prepare(`PRAGMA table_info("${name.replace(/"/g, '""')}")`).all() as { name: string }[];
        if (cols.some((c) => c.name === 'tenant')) return Number((db.prepare(`SELECT count(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number }).n);
      }
      return undefined;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------------------------------ the open-loop client
/** Where a client sends: the upstream itself, the floor proxy, or a gateway; with its key. */
export interface Target {
  name: string;
  origin: string;
  key: string;
  /** The serving process, for CPU time per request (not the upstream's when the target is a proxy). */
  pid?: number;
}
export const CHAT = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say ok.' }], max_tokens: 4 };
const FIRST_CONTENT = Buffer.from('"content":"tok');

export interface LoopResult {
  /** Requests scheduled (after the skipped warm-up). */
  n: number;
  /** Requests sent, the dropped warm-up ones included (for CPU time per request). */
  sent: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  /** ms from the scheduled send to the last byte (open loop, no coordinated omission). */
  lat: number[];
  /** ms from the actual send to the last byte. */
  svc: number[];
  /** Streams: ms from the scheduled send to the first content chunk. */
  ttft: number[];
  /** ms the client was late sending (actual − scheduled): its own share of `lat`. */
  lag: number[];
  /** Answers per second from the first kept due time to the last answer (below the rate = could not keep up). */
  achievedRps: number;
  firstError?: string;
}
export function emptyLoop(): LoopResult {
  return { n: 0, sent: 0, ok: 0, errors: 0, statuses: {}, lat: [], svc: [], ttft: [], lag: [], achievedRps: 0 };
}
export function mergeLoop(a: LoopResult, b: LoopResult): LoopResult {
  for (const [k, v] of Object.entries(b.statuses)) a.statuses[k] = (a.statuses[k] ?? 0) + v;
  a.lat.push(...b.lat);
  a.svc.push(...b.svc);
  a.ttft.push(...b.ttft);
  a.lag.push(...b.lag);
  a.achievedRps = a.n + b.n ? (a.achievedRps * a.n + b.achievedRps * b.n) / (a.n + b.n) : 0;
  a.n += b.n;
  a.sent += b.sent;
  a.ok += b.ok;
  a.errors += b.errors;
  a.firstError ??= b.firstError;
  return a;
}

/** One keep-alive undici pool per target, reused across blocks so connections stay warm. */
export class Client {
  readonly pool: Pool;
  private readonly headers: Record<string, string>;
  constructor(
    readonly target: Target,
    connections = 64,
  ) {
    if (!LOOPBACK.test(target.origin)) throw new Error(`bench/gateway: loopback only, got ${target.origin}`);
    this.pool = new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
    this.headers = { 'content-type': 'application/json', authorization: `Bearer ${target.key}` };
  }
  /**
   * Send one chat request, scheduled at `sched` (performance.now ms). Uses undici's dispatch
   * callbacks (like src/adapters/provider/wire.ts): timing as bytes arrive, nothing buffered.
   */
  send(body: string, stream: boolean, sched: number, done: (r: { status: number; sent: number; end: number; ttft?: number; error?: string }) => void, controllers: Set<Dispatcher.DispatchController>): void {
    const sent = performance.now();
    let status = 0;
    let ttft: number | undefined;
    let ctl: Dispatcher.DispatchController | undefined;
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      if (ctl) controllers.delete(ctl);
      done({ status, sent, end: performance.now(), ...(ttft !== undefined ? { ttft } : {}), ...(error ? { error } : {}) });
    };
    try {
      this.pool.dispatch(
        { path: '/v1/chat/completions', method: 'POST', headers: this.headers, body },
        {
          onRequestStart(c) {
            ctl = c;
            controllers.add(c);
          },
          onResponseStart(_c, s) {
            status = s;
          },
          onResponseData(_c, chunk) {
            if (stream && ttft === undefined && chunk.includes(FIRST_CONTENT)) ttft = performance.now();
          },
          onResponseEnd() {
            finish();
          },
          onResponseError(_c, err) {
            finish(err.message || String(err));
          },
        },
      );
    } catch (e) {
      finish((e as Error).message);
    }
  }
  close(): Promise<void> {
    return this.pool.close().catch(() => undefined);
  }
  /** Drop everything still queued or in flight (after a drain deadline). */
  destroy(): Promise<void> {
    return this.pool.destroy().catch(() => undefined);
  }
}

export interface LoopOpts {
  rate: number;
  durationMs: number;
  stream?: boolean;
  /** Samples scheduled in the first skipMs are sent but not kept (warm connections, warm code). */
  skipMs?: number;
  /** After the last send, how long to wait for stragglers before aborting them (counted as errors). */
  drainMs?: number;
}
/**
 * Open loop: request i is due at t0 + i/rate whatever happened to the earlier ones; latency counts
 * from when it was due, so a stall shows in every request it delayed (no coordinated omission).
 * Timers wake at ≥ 1 ms granularity; the lateness this adds is recorded (lag) and is the same
 * for every arm, so it cancels out of every difference.
 */
export function openLoop(client: Client, o: LoopOpts): Promise<LoopResult> {
  const stream = o.stream ?? false;
  const body = JSON.stringify(stream ? { ...CHAT, stream: true } : CHAT);
  const interval = 1000 / o.rate;
  const skip = Math.round(((o.skipMs ?? 0) * o.rate) / 1000);
  const total = skip + Math.max(1, Math.round((o.rate * o.durationMs) / 1000));
  const r = emptyLoop();
  r.sent = total;
  const controllers = new Set<Dispatcher.DispatchController>();
  return new Promise((resolve) => {
    const t0 = performance.now() + 2;
    let i = 0;
    let pending = 0;
    let drain: NodeJS.Timeout | undefined;
    let over = false;
    let lastEnd = 0;
    const end = () => {
      if (over) return;
      over = true;
      clearTimeout(drain);
      // Still unanswered (queued in the pool, never dispatched, so nothing to abort): errors too.
      const missing = total - skip - r.n;
      if (missing > 0) {
        r.n += missing;
        r.errors += missing;
        r.firstError ??= `no answer within ${o.drainMs ?? 10_000} ms of the last send`;
      }
      // Served per second from the first kept request's due time to the last answer: below the
      // offered rate when the target could not keep up (its latency is then mostly queueing).
      const spanMs = lastEnd - (t0 + skip * interval);
      r.achievedRps = spanMs > 0 ? (r.ok / spanMs) * 1000 : 0;
      resolve(r);
    };
    const tick = () => {
      const now = performance.now();
      while (i < total && t0 + i * interval <= now) {
        const sched = t0 + i * interval;
        const keep = i >= skip;
        pending++;
        i++;
        client.send(body, stream, sched, (s) => {
          if (over) return; // answered after the drain deadline: already counted as an error
          pending--;
          if (s.end > lastEnd) lastEnd = s.end;
          if (keep) {
            r.n++;
            r.statuses[s.status || 'error'] = (r.statuses[s.status || 'error'] ?? 0) + 1;
            if (!s.error && s.status === 200) {
              r.ok++;
              r.lat.push(s.end - sched);
              r.svc.push(s.end - s.sent);
              r.lag.push(s.sent - sched);
              if (stream && s.ttft !== undefined) r.ttft.push(s.ttft - sched);
            } else {
              r.errors++;
              r.firstError ??= s.error ?? `HTTP ${s.status}`;
            }
          }
          if (i === total && pending === 0) end();
        }, controllers);
      }
      if (i < total) setTimeout(tick, Math.max(0, t0 + i * interval - performance.now()));
      else if (pending === 0) end();
      else
        drain = setTimeout(() => {
          for (const c of controllers) c.abort(new Error(`no answer within ${o.drainMs ?? 10_000} ms of the last send`));
          setTimeout(end, 200);
        }, o.drainMs ?? 10_000);
    };
    setTimeout(tick, 2);
  });
}

/**
 * Arms measured in alternating blocks (ABC…, then …CBA, and so on), each block an open loop of
 * blockMs after a skipped warm-up (and a warm-up round of warmMs per arm before the first block): on a shared machine, load that comes and goes lands on every
 * arm alike instead of on whichever ran during the burst. Returns each arm's merged samples.
 */
export async function interleaved(clients: Client[], o: { rate: number; blockMs: number; blocks: number; stream?: boolean; skipMs?: number; warmMs?: number }): Promise<Map<string, LoopResult>> {
  const out = new Map(clients.map((c) => [c.target.name, emptyLoop()]));
  // Warm every arm first (connections, JIT on both ends); these samples are dropped.
  for (const c of clients) out.get(c.target.name)!.sent += (await openLoop(c, { rate: o.rate, durationMs: o.warmMs ?? 1000, stream: o.stream ?? false })).sent;
  for (let b = 0; b < o.blocks; b++) {
    const order = b % 2 === 0 ? clients : [...clients].reverse();
    for (const c of order) {
      const r = await openLoop(c, { rate: o.rate, durationMs: o.blockMs, stream: o.stream ?? false, skipMs: o.skipMs ?? 200 });
      mergeLoop(out.get(c.target.name)!, r);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------ throughput
export interface Cannon {
  rps: number;
  /** CPU µs the target's process used per request during the run (NaN without a pid or /proc). */
  cpuUsPerReq: number;
  ok: number;
  non2xx: number;
  errors: number;
  durationS: number;
}
/** autocannon, closed loop at `connections`, for durationS seconds (2xx per second). */
export async function cannon(t: Target, connections: number, durationS: number): Promise<Cannon> {
  if (!LOOPBACK.test(t.origin)) throw new Error(`bench/gateway: loopback only, got ${t.origin}`);
  const autocannon = require('autocannon') as (o: object) => PromiseLike<{ '2xx': number; non2xx: number; errors: number; timeouts: number; duration: number }>;
  const cpu0 = cpuMs(t.pid);
  const r = await autocannon({
    url: `${t.origin}/v1/chat/completions`,
    connections,
    duration: durationS,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${t.key}` },
    body: JSON.stringify(CHAT),
  });
  const cpu = cpuMs(t.pid) - cpu0;
  return { rps: r['2xx'] / r.duration, cpuUsPerReq: (cpu * 1000) / Math.max(1, r['2xx'] + r.non2xx), ok: r['2xx'], non2xx: r.non2xx, errors: r.errors + r.timeouts, durationS: r.duration };
}

// ------------------------------------------------------------------------------------------ held streams
export interface Held {
  requested: number;
  opened: number;
  failed: number;
  openMs: number;
  firstError?: string;
  /** After the upstream released them: wait (bounded) for the ends, then drop the pool. */
  close(): Promise<{ ended: number }>;
}
/**
 * Open n streams (model bench-hold) through t, at most `window` of them still connecting at a time
 * (a ramp the server's accept backlog can take), until all showed their first content or
 * openTimeoutMs passed.
 */
export async function holdStreams(t: Target, n: number, o: { window?: number; openTimeoutMs?: number } = {}): Promise<Held> {
  if (!LOOPBACK.test(t.origin)) throw new Error(`bench/gateway: loopback only, got ${t.origin}`);
  const pool = new Pool(t.origin, { connections: n, pipelining: 1, keepAliveTimeout: 5_000, bodyTimeout: 0, headersTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${t.key}` };
  const body = JSON.stringify({ ...CHAT, model: 'bench-hold', stream: true });
  const h: Held & { ended: number } = { requested: n, opened: 0, failed: 0, openMs: NaN, ended: 0, close: async () => ({ ended: 0 }) };
  const controllers = new Set<Dispatcher.DispatchController>();
  const t0 = performance.now();
  const window = o.window ?? 200;
  let launched = 0;
  let settle: () => void = () => undefined;
  const allIn = new Promise<void>((r) => (settle = r));
  let endWaiter: (() => void) | undefined;
  const check = () => {
    while (launched < n && launched - h.opened - h.failed < window) one();
    if (h.opened + h.failed >= n) settle();
    if (h.ended + h.failed >= n) endWaiter?.();
  };
  function one(): void {
    launched++;
    let opened = false;
    let ctl: Dispatcher.DispatchController | undefined;
    pool.dispatch(
      { path: '/v1/chat/completions', method: 'POST', headers, body },
      {
        onRequestStart(c) {
          ctl = c;
          controllers.add(c);
        },
        onResponseStart() {},
        onResponseData(_c, chunk) {
          if (!opened && chunk.includes(FIRST_CONTENT)) {
            opened = true;
            h.opened++;
            queueMicrotask(check);
          }
        },
        onResponseEnd() {
          if (ctl) controllers.delete(ctl);
          if (opened) h.ended++;
          else h.failed++;
          queueMicrotask(check);
        },
        onResponseError(_c, err) {
          if (ctl) controllers.delete(ctl);
          if (opened) h.ended++;
          else {
            h.failed++;
            h.firstError ??= err.message;
          }
          queueMicrotask(check);
        },
      },
    );
  }
  check();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([allIn, new Promise<void>((r) => (timer = setTimeout(r, o.openTimeoutMs ?? 30_000)))]);
  clearTimeout(timer);
  h.openMs = performance.now() - t0;
  h.close = async () => {
    await Promise.race([new Promise<void>((r) => ((endWaiter = r), check())), new Promise((r) => setTimeout(r, 10_000))]);
    for (const c of controllers) c.abort(new Error('bench over'));
    await pool.destroy().catch(() => undefined);
    return { ended: h.ended };
  };
  return h;
}
