/**
 * A real redis-server for tests: on 127.0.0.1 and a free port, no persistence (`--save '' --appendonly no`),
 * in a temp folder, stopped (and waited for) on teardown. Redis has no "any free port" (`--port 0`
 * means "no TCP at all"), so the port comes from a listen(0) probe that is closed again; a lost race
 * (EADDRINUSE) picks another one.
 *
 * redis-server missing: the tests skip with a message, except in CI (CI=true or HOLY_REQUIRE_REDIS=1),
 * where a missing redis fails: .ci/run installs Debian's package when `command -v redis-server` fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './tmp.js';

const BIN = process.env.HOLY_REDIS_SERVER ?? 'redis-server';

function installed(): boolean {
  const r = spawnSync(BIN, ['--version'], { encoding: 'utf8' });
  return r.status === 0 && /Redis server v=/.test(r.stdout);
}

const required = process.env.CI === 'true' || process.env.CI === '1' || process.env.HOLY_REQUIRE_REDIS === '1';
let probed: boolean | undefined;

/**
 * For `describe(name, { skip: redisSkip() }, …)`: a reason to skip when redis-server is missing, undefined
 * when it is there. In CI it throws instead: a missing redis must fail the run, not skip it quietly.
 */
export function redisSkip(): string | undefined {
  probed ??= installed();
  if (probed) return undefined;
  const msg = `${BIN} is not installed: the Redis store tests need a real redis-server (Debian: apt-get install redis-server; .ci/run installs it)`;
  if (required) throw new Error(`${msg}; CI requires it.`);
  return msg;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket: true on +PONG (or -NOAUTH: up, but wants a password). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG') || buf.startsWith('-NOAUTH'));
    });
  });
}

export interface RedisServer {
  readonly port: number;
  /** redis://127.0.0.1:PORT/0 (with the password when one was asked for). */
  readonly url: string;
  /** The server process's pid (changes after restart). */
  pid(): number;
  /** SIGKILL, and wait for the process to be gone: a crash, as the gateway sees one. */
  kill(): Promise<void>;
  /** A fresh redis-server on the same port (empty: nothing was persisted). */
  restart(): Promise<void>;
  /** SIGTERM and wait for exit; safe to call twice. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** requirepass. */
  password?: string;
}

async function launch(port: number, dir: string, o: RedisServerOptions): Promise<{ child: ChildProcess; exited: Promise<void>; log: () => string }> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'];
  if (o.password !== undefined) args.push('--requirepass', o.password);
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 200; i++) {
    if (gone) break;
    if (await ping(port)) return { child, exited, log: () => out };
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill('SIGKILL');
  await exited;
  throw Object.assign(new Error(`redis-server on port ${port} did not answer PING: ${out.trim().slice(-500)}`), {
    inUse: /Address already in use/i.test(out),
  });
}

/** Starts a redis-server; call stop() in an after() hook. */
export async function startRedis(o: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = tempDir('holy-redis-');
  let port = 0;
  let cur: Awaited<ReturnType<typeof launch>> | undefined;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      cur = await launch(port, join(dir), o);
      break;
    } catch (err) {
      if (!(err as { inUse?: boolean }).inUse || attempt >= 4) throw err;
    }
  }
  const end = async (sig: NodeJS.Signals) => {
    if (!cur) return;
    const c = cur;
    cur = undefined;
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill(sig);
    await c.exited;
  };
  const auth = o.password !== undefined ? `:${encodeURIComponent(o.password)}@` : '';
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}/0`,
    pid: () => cur?.child.pid ?? -1,
    kill: () => end('SIGKILL'),
    restart: async () => {
      await end('SIGKILL');
      // The port was ours a moment ago; the kernel frees a listening socket at once on exit.
      cur = await launch(port, dir, o);
    },
    stop: () => end('SIGTERM'),
  };
}

/** One command as MONITOR shows it: its arguments (the command first) and its source ("lua" inside a script). */
export interface Monitored {
  args: string[];
  source: string;
}

/** The quoted arguments of a MONITOR line (`"GET" "k\x01"`), unescaped as Redis's sdscatrepr wrote them. */
function monitorArgs(s: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '"') continue;
    let a = '';
    for (i++; i < s.length && s[i] !== '"'; i++) {
      if (s[i] !== '\\') {
        a += s[i];
        continue;
      }
      const c = s[++i];
      if (c === 'x') {
        a += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
        i += 2;
      } else a += ({ n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' } as Record<string, string>)[c!] ?? c;
    }
    out.push(a);
  }
  return out;
}

/**
 * MONITOR on its own plain socket: `on` sees every command the server runs from the moment this resolves.
 * Not ioredis's monitor(): its client can take a monitor line arriving in the same read as MONITOR's +OK for
 * a reply to nothing ("Command queue state error", thrown out of its socket handler), and is then left
 * reconnecting without an error listener once the server stops, which kept a test process alive.
 */
export function monitorRedis(port: number, on: (c: Monitored) => void): Promise<{ stop(): void }> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    let ready = false;
    const stop = () => void sock.destroy();
    sock.setEncoding('latin1');
    sock.on('error', (err) => (ready ? undefined : reject(err)));
    sock.on('connect', () => sock.write('MONITOR\r\n'));
    sock.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\r\n'); nl >= 0; nl = buf.indexOf('\r\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (!ready) {
          if (line !== '+OK') return (stop(), reject(new Error(`MONITOR answered ${line}`)));
          ready = true;
          resolve({ stop });
          continue;
        }
        // +1700000000.123456 [0 127.0.0.1:5555] "GET" "k"   or   [0 lua] for a command run by a script
        const m = /^\+\S+ \[\d+ (\S+)\] (.*)$/.exec(line);
        if (m) on({ source: m[1]!, args: monitorArgs(m[2]!) });
      }
    });
  });
}
