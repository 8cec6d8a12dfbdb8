/**
 * roi benchmark (`npm run bench:roi`), one run: a generated 1M-row ledger summed by `awk` (the reference,
 * measured in the same run) and by `holy roi`; the same file through csv-parse tuned (for the record: why
 * roi has a byte fast path); and holy's peak RSS on a 5M-row ledger.
 * One line per figure with its target; exit 1 when a target is missed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'holy.js');
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RSS_ROWS = Number(process.env.BENCH_RSS_ROWS ?? 5_000_000);
const RATIO_TARGET = 4;
const RATE_TARGET = 1_000_000;
const RSS_TARGET_MB = 150;

const MODELS = ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini-2024-07-18', 'deepseek-chat'];
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark'];
const T0 = 1790812800; // 2026-10-01T00:00:00Z

/** Write `n` ledger rows (the seeds' usage_records columns) to a stream, with backpressure. */
async function writeLedger(out: Writable, n: number): Promise<void> {
  out.write('id,tenant_id,model,input_tokens,output_tokens,cost_usd,cost_cny,timestamp,request_id\n');
  const batch: string[] = [];
  for (let i = 0; i < n; i++) {
    const inp = ((i * 7919) % 4000) + 10;
    const outp = ((i * 104729) % 900) + 1;
    batch.push(`${i + 1},${TENANTS[i % 6]},${MODELS[i % 5]},${inp},${outp},0.00123,0.00898,${T0 + Math.floor((i * 2592000) / n)},r${(i * 2654435761) % 4294967296}`);
    if (batch.length === 20000 || i === n - 1) {
      if (!out.write(batch.join('\n') + '\n')) await once(out, 'drain');
      batch.length = 0;
    }
  }
  out.end();
}

function run(cmd: string, args: string[]): Promise<{ ms: number; code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, env: { PATH: process.env.PATH, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - t, code: code ?? 1, stderr }));
  });
}

/** csv-parse at its fastest here: stream API read through 'readable', arrays (no column objects), 1 MB reads. */
async function csvParseRate(file: string): Promise<number> {
  const t = performance.now();
  const sums = new Map<string, number>();
  let n = 0;
  const parser = parse({ from_line: 2 });
  parser.on('readable', () => {
    let r: string[] | null;
    while ((r = parser.read() as string[] | null) !== null) {
      sums.set(r[2]!, (sums.get(r[2]!) ?? 0) + Number(r[3]) + Number(r[4]));
      n++;
    }
  });
  createReadStream(file, { highWaterMark: 1 << 20 }).pipe(parser);
  await once(parser, 'end');
  return n / ((performance.now() - t) / 1000);
}

function line(name: string, value: string, target: string, pass: boolean | null): void {
  const t = pass === null ? target : `target ${target}`;
  process.stdout.write(`${name.padEnd(40)} ${value.padStart(14)}   ${t.padEnd(20)} ${pass === null ? '' : pass ? 'PASS' : 'FAIL'}`.trimEnd() + '\n');
}

const dir = mkdtempSync(join(tmpdir(), 'holy-bench-roi-'));
let failed = false;
try {
  const file = join(dir, 'ledger.csv');
  const ws = createWriteStream(file);
  await writeLedger(ws, ROWS);
  await once(ws, 'close');
  const mb = statSync(file).size / 1e6;
  process.stdout.write(`roi benchmark: ${ROWS.toLocaleString('en-US')}-row ledger, ${mb.toFixed(1)} MB; awk is the reference in this run\n`);
  // Wall times depend on what else runs: say so, so a FAIL under load can be told from a regression.
  const load = loadavg()[0]!;
  process.stdout.write(`load average ${load.toFixed(1)} on ${cpus().length} CPUs${load > cpus().length * 0.7 ? ' (busy machine: wall-time figures are inflated)' : ''}\n`);

  // Reference: awk summing input and output tokens per model (the columns holy reads), best of 2.
  const awk = existsSync('/usr/bin/mawk') ? 'mawk' : 'awk';
  const awkArgs = ['-F,', 'NR>1{i[$3]+=$4; o[$3]+=$5} END{for (m in i) print m, i[m], o[m]}', file];
  const awkMs = Math.min((await run(awk, awkArgs)).ms, (await run(awk, awkArgs)).ms);
  line(`${awk} sum by model`, `${(awkMs / 1000).toFixed(3)} s`, '', null);

  // holy roi end to end (process start to exit), best of 2.
  const holyRuns = [await run(process.execPath, [BIN, 'roi', file, '--json']), await run(process.execPath, [BIN, 'roi', file, '--json'])];
  for (const r of holyRuns) if (r.code !== 0) throw new Error(`holy roi exited ${r.code}: ${r.stderr}`);
  const holyMs = Math.min(...holyRuns.map((r) => r.ms));
  const ratio = holyMs / awkMs;
  const rate = ROWS / (holyMs / 1000);
  line('holy roi (whole process)', `${(holyMs / 1000).toFixed(3)} s`, '', null);
  line('holy roi / awk', `${ratio.toFixed(2)}×`, `≤ ${RATIO_TARGET}×`, ratio <= RATIO_TARGET);
  line('holy roi rows/s (incl. startup)', `${(rate / 1e6).toFixed(2)}M`, '≥ 1M rows/s', rate >= RATE_TARGET);
  failed ||= ratio > RATIO_TARGET || rate < RATE_TARGET;

  const cp = await csvParseRate(file);
  line('csv-parse tuned, rows/s (in-process)', `${(cp / 1e6).toFixed(2)}M`, '(for comparison)', null);

  // Peak RSS on a RSS_ROWS-row ledger file (the 1M file is removed first to keep the disk use down).
  rmSync(file);
  const big = join(dir, 'ledger-big.csv');
  const bs = createWriteStream(big);
  await writeLedger(bs, RSS_ROWS);
  await once(bs, 'close');
  const timeBin = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-v', 'true']).status === 0;
  let peakMB: number;
  let bigMs: number;
  if (timeBin) {
    const r = await run('/usr/bin/time', ['-v', process.execPath, BIN, 'roi', big, '--json']);
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    if (r.code !== 0 || !m) throw new Error(`holy roi exited ${r.code}: ${r.stderr.slice(-500)}`);
    peakMB = Number(m[1]) / 1024;
    bigMs = r.ms;
  } else {
    ({ peakMB, ms: bigMs } = await pollPeak(big));
  }
  line(`holy roi, ${(RSS_ROWS / 1e6).toFixed(0)}M rows (${(statSync(big).size / 1e6).toFixed(0)} MB)`, `${(bigMs / 1000).toFixed(2)} s`, '', null);
  line('  peak RSS', `${peakMB.toFixed(0)} MB`, `< ${RSS_TARGET_MB} MB`, peakMB < RSS_TARGET_MB);
  failed ||= peakMB >= RSS_TARGET_MB;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;

/** Without /usr/bin/time: poll the child's VmHWM (peak RSS) in /proc until it exits. */
async function pollPeak(file: string): Promise<{ peakMB: number; ms: number }> {
  const t = performance.now();
  const child = spawn(process.execPath, [BIN, 'roi', file, '--json'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c));
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      /* exited */
    }
  }, 20);
  const [code] = (await once(child, 'close')) as [number | null];
  clearInterval(timer);
  // A failed run would report the small peak of an early exit as a PASS.
  if (code !== 0) throw new Error(`holy roi exited ${code}: ${stderr.slice(-500)}`);
  return { peakMB: peak, ms: performance.now() - t };
}
