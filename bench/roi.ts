/**
 * roi benchmark (`npm run bench:roi`), one run: generated 1M-row files summed by mawk (the reference,
 * measured in the same run: token columns summed by model) and by `holy roi`, one ratio per variant —
 * the seeds' ledger with epoch seconds, with `YYYY-MM-DD HH:MM:SS`, with ISO 8601 and an offset, with
 * quoted tenants (commas inside), and an OpenAI activity export; each ledger has 1M distinct request
 * ids. Then the epoch ledger through csv-parse tuned (for the record: why roi has a byte fast path),
 * and holy's peak RSS on a 5M-row ledger. One line per figure with its target; exit 1 when one is missed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import { openDatabase } from '../src/adapters/sqlite.js';
import { INSERT_SQL, createLedger } from '../src/adapters/ledger/schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'holy.js');
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RSS_ROWS = Number(process.env.BENCH_RSS_ROWS ?? 5_000_000);
const RATIO_TARGET = 4;
const RATE_TARGET = 1_000_000;
const RSS_TARGET_MB = 150;
/** Reading the same rows from a gateway ledger (.db) vs the epoch CSV: the same class. */
const LEDGER_VS_CSV = 3;

const MODELS = ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini-2024-07-18', 'deepseek-chat'];
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark'];
const T0 = 1790812800; // 2026-10-01T00:00:00Z

type Variant = { name: string; header: string; row: (i: number, n: number) => string; awk: string };
const pad = (v: number) => String(v).padStart(2, '0');
const text = (sec: number, sep: string, zone: string) => {
  const d = new Date(sec * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}${sep}${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${zone}`;
};
const at = (i: number, n: number) => T0 + Math.floor((i * 2592000) / n);
const LEDGER = 'id,tenant_id,model,input_tokens,output_tokens,cost_usd,cost_cny,timestamp,request_id';
const ledgerRow = (ts: (i: number, n: number) => string, tenant: (i: number) => string) => (i: number, n: number) =>
  `${i + 1},${tenant(i)},${MODELS[i % 5]},${((i * 7919) % 4000) + 10},${((i * 104729) % 900) + 1},0.00123,0.00898,${ts(i, n)},r${(i * 2654435761) % 4294967296}`;
const plainTenant = (i: number) => TENANTS[i % 6]!;
const AWK_LEDGER = 'NR>1{i[$3]+=$4; o[$3]+=$5} END{for (m in i) print m, i[m], o[m]}';
const VARIANTS: Variant[] = [
  { name: 'ledger, epoch seconds', header: LEDGER, row: ledgerRow((i, n) => String(at(i, n)), plainTenant), awk: AWK_LEDGER },
  { name: 'ledger, YYYY-MM-DD HH:MM:SS', header: LEDGER, row: ledgerRow((i, n) => text(at(i, n), ' ', ''), plainTenant), awk: AWK_LEDGER },
  { name: 'ledger, ISO 8601 +08:00', header: LEDGER, row: ledgerRow((i, n) => text(at(i, n) + 8 * 3600, 'T', '+08:00'), plainTenant), awk: AWK_LEDGER },
  // A sixth of the rows carry a quoted tenant with a comma (mawk splits those wrongly: a timing reference only).
  { name: 'ledger, text time, quoted tenants', header: LEDGER, row: ledgerRow((i, n) => text(at(i, n), ' ', ''), (i) => (i % 6 === 0 ? '"Acme, Inc."' : TENANTS[i % 6]!)), awk: AWK_LEDGER },
  {
    name: 'OpenAI activity export',
    header: 'start_time,end_time,start_time_iso,end_time_iso,project_id,num_model_requests,user_id,api_key_id,model,batch,service_tier,input_tokens,output_tokens,input_cached_tokens,input_uncached_tokens',
    row: (i, n) => {
      const t = T0 + Math.floor((i * 2592000) / n);
      const inp = ((i * 7919) % 4000) + 10;
      const cached = inp % 7 === 0 ? Math.floor(inp / 2) : 0;
      return `${t},${t + 60},${text(t, 'T', 'Z')},${text(t + 60, 'T', 'Z')},proj_${TENANTS[i % 6]},${(i % 3) + 1},user-${i % 40},key_${i % 9},${MODELS[i % 5]},${i % 11 === 0 ? 'TRUE' : 'FALSE'},default,${inp},${((i * 104729) % 900) + 1},${cached},${inp - cached}`;
    },
    awk: 'NR>1{i[$9]+=$12; o[$9]+=$13} END{for (m in i) print m, i[m], o[m]}',
  },
];

/** Write `n` rows of a variant to a stream, with backpressure. */
async function writeRows(out: Writable, v: Variant, n: number): Promise<void> {
  out.write(v.header + '\n');
  const batch: string[] = [];
  for (let i = 0; i < n; i++) {
    batch.push(v.row(i, n));
    if (batch.length === 20000 || i === n - 1) {
      if (!out.write(batch.join('\n') + '\n')) await once(out, 'drain');
      batch.length = 0;
    }
  }
  out.end();
}

/**
 * A gateway ledger (.db) with the same rows as the epoch-seconds ledger CSV (tenants, models, tokens,
 * times, 1M distinct request ids), written in one transaction with the ledger's own schema and insert.
 */
function writeLedgerDb(file: string, n: number): void {
  const db = openDatabase(file);
  db.exec('PRAGMA journal_mode = WAL');
  createLedger(db, 'bench'.padEnd(32, '0'), new Date(0).toISOString());
  const ins = db.prepare(INSERT_SQL);
  db.exec('BEGIN');
  for (let i = 0; i < n; i++) {
    const m = MODELS[i % 5]!;
    ins.run(at(i, n) * 1000, `r${(i * 2654435761) % 4294967296}-${i}`, TENANTS[i % 6]!, 'chat', m, m, 'holysheep', 0,
      ((i * 7919) % 4000) + 10, 0, ((i * 104729) % 900) + 1, 0, '0.00123', '0.00898', 'ok', 200, 12.5, 3.5, 0, 'primary');
  }
  db.exec('COMMIT');
  db.close();
}

async function writeFile(file: string, v: Variant, n: number): Promise<void> {
  const ws = createWriteStream(file);
  await writeRows(ws, v, n);
  await once(ws, 'close');
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
  process.stdout.write(`${name.padEnd(42)} ${value.padStart(34)}   ${t.padEnd(16)} ${pass === null ? '' : pass ? 'PASS' : 'FAIL'}`.trimEnd() + '\n');
}

const dir = mkdtempSync(join(tmpdir(), 'holy-bench-roi-'));
let failed = false;
try {
  // Wall times depend on what else runs: say so, so a FAIL under load can be told from a regression.
  const load = loadavg()[0]!;
  process.stdout.write(`roi benchmark: ${ROWS.toLocaleString('en-US')} rows per file; mawk summing the token columns by model is the reference in this run\n`);
  process.stdout.write(`load average ${load.toFixed(1)} on ${cpus().length} CPUs${load > cpus().length * 0.7 ? ' (busy machine: wall-time figures are inflated)' : ''}\n`);
  const awk = spawnSync('mawk', ['-W', 'version']).error ? 'awk' : 'mawk';
  if (awk !== 'mawk') process.stdout.write('mawk is not installed (apt-get install -y mawk): the reference is awk, usually slower, so the ratios flatter holy\n');
  let epochFile = '';
  let epochHolyMs = 0;
  for (const v of VARIANTS) {
    const file = join(dir, `${v.name.replace(/[^a-z0-9]+/gi, '-')}.csv`);
    await writeFile(file, v, ROWS);
    // Best of 2 each, alternated.
    const awkArgs = ['-F,', v.awk, file];
    const a1 = await run(awk, awkArgs);
    const h1 = await run(process.execPath, [BIN, 'roi', file, '--json']);
    const a2 = await run(awk, awkArgs);
    const h2 = await run(process.execPath, [BIN, 'roi', file, '--json']);
    for (const r of [h1, h2]) if (r.code !== 0) throw new Error(`holy roi exited ${r.code} on ${v.name}: ${r.stderr.slice(0, 500)}`);
    const awkMs = Math.min(a1.ms, a2.ms);
    const holyMs = Math.min(h1.ms, h2.ms);
    const ratio = holyMs / awkMs;
    line(`${v.name} (${(statSync(file).size / 1e6).toFixed(0)} MB)`, `${(holyMs / 1000).toFixed(3)} s / ${awk} ${(awkMs / 1000).toFixed(3)} s = ${ratio.toFixed(2)}×`, `≤ ${RATIO_TARGET}×`, ratio <= RATIO_TARGET);
    failed ||= ratio > RATIO_TARGET;
    if (!epochFile) {
      epochFile = file;
      epochHolyMs = holyMs;
      const rate = ROWS / (holyMs / 1000);
      line('  holy roi rows/s (incl. startup)', `${(rate / 1e6).toFixed(2)}M`, '≥ 1M rows/s', rate >= RATE_TARGET);
      failed ||= rate < RATE_TARGET;
      const cp = await csvParseRate(file);
      line('  csv-parse tuned, rows/s (in-process)', `${(cp / 1e6).toFixed(2)}M`, '(for comparison)', null);
    } else rmSync(file);
  }
  if (epochFile) rmSync(epochFile);

  // The gateway's ledger: the same rows in SQLite, read through the same reader as the CSV.
  const ledger = join(dir, 'holy-ledger.db');
  writeLedgerDb(ledger, ROWS);
  const l1 = await run(process.execPath, [BIN, 'roi', ledger, '--json']);
  const l2 = await run(process.execPath, [BIN, 'roi', ledger, '--json']);
  for (const r of [l1, l2]) if (r.code !== 0) throw new Error(`holy roi exited ${r.code} on the ledger: ${r.stderr.slice(0, 500)}`);
  const ledgerMs = Math.min(l1.ms, l2.ms);
  const vsCsv = ledgerMs / epochHolyMs;
  line(`gateway ledger .db (${(statSync(ledger).size / 1e6).toFixed(0)} MB)`, `${(ledgerMs / 1000).toFixed(3)} s / CSV ${(epochHolyMs / 1000).toFixed(3)} s = ${vsCsv.toFixed(2)}×`, `≤ ${LEDGER_VS_CSV}× the CSV`, vsCsv <= LEDGER_VS_CSV);
  failed ||= vsCsv > LEDGER_VS_CSV;
  rmSync(ledger);

  // Peak RSS on a RSS_ROWS-row ledger file.
  const big = join(dir, 'ledger-big.csv');
  await writeFile(big, VARIANTS[0]!, RSS_ROWS);
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
