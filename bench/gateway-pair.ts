/**
 * Paired comparison of two builds of `holy gateway` (`npm run bench:gateway-pair -- --base DIR`):
 * the CPU each spends per request, this build against the build in DIR (another checkout, built).
 *
 * Separate runs of one build differ by 10–25% in CPU per request on a shared machine, from one minute
 * to the next, so a change of a few percent cannot be seen by running A and then B. Here both
 * gateways run on CPU 0 and are loaded AT THE SAME TIME, each by its own autocannon, over the same
 * window; the client and the upstream run on the other CPUs. Whatever slows the machine slows both,
 * and the ratio of their CPU per request stays steady (an A/A pair, `--base .`, shows how steady).
 * Method and figures: docs/gateway-bench.md, "Comparing two builds".
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BIN, cannon, killChildren, otherCpus, pinCpus, quantiles, splitUnavailable, startGateway, startUpstream, type Gateway, type Target, type Upstream } from './gateway-lib.js';

const USAGE =
  'npm run bench:gateway-pair -- --base DIR [--rounds N] [--seconds S] [--warmup N] [--connections C]\n' +
  "  This build's holy gateway against the one in DIR (another holy checkout, built with npm run build there),\n" +
  '  both on CPU 0 and loaded at the same time: their CPU per request, and the ratio of the two.\n' +
  '  --base DIR        the other checkout; --base . compares this build with itself (A/A: the noise)\n' +
  '  --rounds N        measured rounds, 1-50 (default 6); the order the two loads start in flips every round\n' +
  '  --seconds S       length of a round, 1-60 (default 4)\n' +
  '  --warmup N        runs of 3 s before the rounds, both at once, dropped: 0-20 (default 4)\n' +
  '  --connections C   autocannon connections per gateway, 1-256 (default 32)\n' +
  '  Needs Linux, taskset (util-linux) and at least 2 CPUs. Exit: 0 done, 1 the run failed, 2 a bad argument.\n';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const die = (msg: string): never => {
  process.stderr.write(`bench:gateway-pair: ${msg}\n`);
  process.exit(2);
};

let opts: { base?: string; rounds?: string; seconds?: string; warmup?: string; connections?: string; help?: boolean };
try {
  opts = parseArgs({ options: { base: { type: 'string' }, rounds: { type: 'string' }, seconds: { type: 'string' }, warmup: { type: 'string' }, connections: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (e) {
  die(`${(e as Error).message.split('\n')[0]!.replace(/\.$/, '')}; see --help.`);
  throw e;
}
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const whole = (flag: string, v: string | undefined, def: number, min: number, max: number): number => {
  if (v === undefined) return def;
  const n = Number(v);
  return Number.isInteger(n) && n >= min && n <= max ? n : die(`--${flag} ${JSON.stringify(v)}: expected a whole number from ${min} to ${max}, e.g. --${flag} ${def}.`);
};
const rounds = whole('rounds', opts.rounds, 6, 1, 50);
const seconds = whole('seconds', opts.seconds, 4, 1, 60);
const warmup = whole('warmup', opts.warmup, 4, 0, 20);
const connections = whole('connections', opts.connections, 32, 1, 256);
if (!opts.base) die('--base DIR is required: the root of another holy checkout, built (npm run build there); --base . compares this build with itself.');
const baseDir = resolve(opts.base!);
const baseBin = join(baseDir, 'bin', 'holy.js');
if (!existsSync(baseBin)) die(`--base ${opts.base}: ${baseBin} does not exist; point --base at the root of a holy checkout.`);
const probe = spawnSync(process.execPath, [baseBin, 'gateway', '--help'], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, NO_COLOR: '1' } });
if (probe.status !== 0 || !/Usage: holy gateway/.test(probe.stdout)) die(`--base ${opts.base}: \`holy gateway --help\` did not run there (exit ${probe.status}); build it first: (cd ${baseDir} && npm ci && npm run build).`);
const cannotPin = splitUnavailable();
if (cannotPin) die(`it needs Linux, taskset (util-linux) and at least 2 CPUs; here: ${cannotPin}.`);

/** "ab6c229" or "ab6c229 + uncommitted changes", or why there is no commit to name. */
function commitOf(dir: string): string {
  const r = spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (r.status !== 0) return 'not a git checkout';
  const dirty = spawnSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout.trim();
  return `${r.stdout.trim()}${dirty ? ' + uncommitted changes' : ''}`;
}

const others = otherCpus();
const out = (s: string) => process.stdout.write(s + '\n');
const tmp = mkdtempSync(join(tmpdir(), 'holy-gwpair-'));
let up: Upstream | undefined;
const gws: Gateway[] = [];
process.on('SIGINT', () => {
  killChildren();
  process.exit(130);
});
try {
  out(`gateway pair: this build (${commitOf(ROOT)}, ${ROOT.replace(/\/$/, '')}) against --base (${commitOf(baseDir)}, ${baseDir}), Node ${process.version}, ${cpus().length} CPUs`);
  pinCpus(process.pid, others);
  up = await startUpstream();
  pinCpus(up.child.pid!, others);
  const placed: string[] = [];
  for (const [name, bin] of [['this', BIN], ['base', baseBin]] as const) {
    const gw = await startGateway({ dir: join(tmp, name), providers: { official: up.origin }, bin, monitor: false });
    placed.push(`${name}: ${bin} (pid ${gw.pid}) on CPU ${pinCpus(gw.pid, '0')}`);
    gws.push(gw);
  }
  const targets: Target[] = gws.map((gw, i) => ({ name: i ? 'base' : 'this', origin: gw.origin, key: gw.key, pid: gw.pid }));
  out(`placement: ${placed.join(' · ')}; each loaded by its own autocannon (c=${connections}) at the same time; the client and the upstream on CPU ${others}`);
  // The two loads start one after the other: the order flips every round, so neither build always goes first.
  const both = async (r: number) => {
    const order = r % 2 ? [0, 1] : [1, 0];
    const runs: Promise<Awaited<ReturnType<typeof cannon>>>[] = [];
    for (const i of order) runs[i] = cannon(targets[i]!, connections, seconds);
    return Promise.all(runs);
  };
  for (let i = 0; i < warmup; i++) await Promise.all(targets.map((t) => cannon(t, connections, 3)));
  out(`warm-up: ${warmup} run(s) of 3 s, both at once (dropped)`);
  const ratio: number[] = [];
  const cpu: [number[], number[]] = [[], []];
  let n = 0;
  for (let r = 1; r <= rounds; r++) {
    const [a, b] = await both(r);
    const bad = a!.errors + a!.non2xx + b!.errors + b!.non2xx;
    if (!Number.isFinite(a!.cpuUsPerReq) || !Number.isFinite(b!.cpuUsPerReq) || a!.ok === 0 || b!.ok === 0) throw new Error(`round ${r}: no CPU time or no answers (this ${a!.ok}, base ${b!.ok} answered)`);
    cpu[0].push(a!.cpuUsPerReq);
    cpu[1].push(b!.cpuUsPerReq);
    ratio.push(a!.cpuUsPerReq / b!.cpuUsPerReq);
    n += a!.ok + b!.ok;
    out(`round ${r}: this ${a!.cpuUsPerReq.toFixed(0)} µs/request (n=${a!.ok}) · base ${b!.cpuUsPerReq.toFixed(0)} µs/request (n=${b!.ok}) · this ÷ base ${ratio.at(-1)!.toFixed(3)}${bad ? ` · ${bad} errors or non-2xx` : ''}`);
  }
  const q = quantiles(ratio);
  out(
    `CPU per request, this ÷ base: median ${q.p50.toFixed(3)} over ${rounds} round(s) (from ${Math.min(...ratio).toFixed(3)} to ${q.max.toFixed(3)}); ` +
      `medians this ${quantiles(cpu[0]).p50.toFixed(0)} µs, base ${quantiles(cpu[1]).p50.toFixed(0)} µs; n=${n} requests`,
  );
  out('  read it against an A/A pair on the same machine (--base .): a ratio inside that spread says nothing');
} catch (e) {
  process.stderr.write(`bench:gateway-pair failed: ${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  for (const gw of gws) await gw.close().catch(() => undefined);
  await up?.close().catch(() => undefined);
  killChildren();
  rmSync(tmp, { recursive: true, force: true });
}
