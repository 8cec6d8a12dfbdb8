/**
 * Overhead benchmark (`npm run bench:overhead`): what holy bench itself adds to what it measures, and
 * whether its memory stays bounded. One run, one line per figure with its target, PASS/FAIL; exit 1
 * when a target is missed. The server (overhead-server.ts) runs in its own process and times itself;
 * holy bench runs in another; autocannon runs in this one. What "c" means: `holy bench -c 16` keeps
 * up to 16 pairs in flight, i.e. up to 16 requests per provider, 32 on this one server (a slot is
 * held until both halves of its pair are in and scored); the requests each client actually kept in
 * flight (Little's law: throughput × mean latency) are printed for holy and for autocannon at 32 connections.
 *
 * 1. Non-streamed, concurrency 32, same server, same run: holy's E2E p50/p99 against autocannon's
 *    (each response timed at µs resolution) and against the server's own handling time; added
 *    latency over autocannon (targets p50 ≤ +1 ms, p99 ≤ +3 ms), ratios, and throughput share (≥ 50%).
 * 2. The same below saturation (open loop at a tenth of the closed loop's rate).
 * 3. Streamed SSE, 60 content chunks, with and without usage: holy's TTFT and ITL p99 against the
 *    server's own (first content write after the request; gaps between writes): within 1 ms.
 * 4. Memory, shortened soak: --duration BENCH_SOAK_S (default 60) s at full speed; live memory after
 *    a collection sampled against pairs served, growth per pair fitted over the second half and
 *    extrapolated from the final RSS to the `--duration 3600` at 500 pairs/s run (1.8M pairs): < 250 MB.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ask, autocannon, f3, holy, line, slope, soak, writeTraffic, type Q } from './overhead-lib.js';
import { percent } from './gateway-lib.js';

const C = 32;
const PAIRS = C / 2;
const N = Number(process.env.BENCH_N ?? 20_000);
const SOAK_S = Number(process.env.BENCH_SOAK_S ?? 60);
const FULL_PAIRS = 3600 * 500;
const LIMIT_MB = 250;

type Stats = { handling: Q; ttft: Q; itl: Q };
const worse = (s: any, get: (p: any) => any) => ({ p50: Math.max(get(s.old).p['50'], get(s.new).p['50']), p99: Math.max(get(s.old).p['99'], get(s.new).p['99']) });

const dir = mkdtempSync(join(tmpdir(), 'holy-overhead-'));
const server = fork(fileURLToPath(new URL('./overhead-server.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
let failed = false;
const check = (name: string, value: string, target: string, pass: boolean) => {
  line(name, value, target, pass);
  failed ||= !pass;
};
try {
  const { port } = await new Promise<{ port: number }>((r) => server.once('message', (m) => r(m as { port: number })));
  const url = `http://127.0.0.1:${port}/v1`;
  const small = join(dir, 'small.jsonl');
  await writeTraffic(small, 2000);
  const load = loadavg()[0]!;
  process.stdout.write(`overhead benchmark: load average ${load.toFixed(1)} on ${cpus().length} CPUs${load > cpus().length * 0.7 ? ' (busy machine: every figure is inflated and noisy)' : ''}\n`);

  // 1. Non-streamed, c=32: holy, then autocannon, same server, same run (both warmed first).
  await holy([small, '-n', '2000', '-c', String(PAIRS), '--stream', 'off'], url);
  await autocannon(`${url}/chat/completions`, C, 4000);
  await ask(server, { cmd: 'stats' });
  const run = await holy([small, '-n', String(N / 2), '-c', String(PAIRS), '--stream', 'off', '--warmup', '1000'], url);
  const srvH = await ask<Stats>(server, { cmd: 'stats' });
  const ac = await autocannon(`${url}/chat/completions`, C, N);
  await ask<Stats>(server, { cmd: 'stats' });
  const h = worse(run.summary, (p) => p.e2eMs);
  process.stdout.write(`  non-streamed, c=32 (n=${run.summary.old.ok}+${run.summary.new.ok} holy, ${ac.q.n} autocannon), ms: holy p50 ${f3(h.p50)} p99 ${f3(h.p99)} · autocannon p50 ${f3(ac.q.p50)} p99 ${f3(ac.q.p99)} · server handling (holy run) p50 ${f3(srvH.handling.p50)} p99 ${f3(srvH.handling.p99)}\n`);
  // Little's law: requests in flight = throughput × mean latency (what "c" came to for each client).
  const holyRps: number = run.summary.old.requestsPerS + run.summary.new.requestsPerS;
  const holyMean = (run.summary.old.e2eMs.mean + run.summary.new.e2eMs.mean) / 2;
  process.stdout.write(`  requests in flight (throughput × mean latency): holy ${((holyRps * holyMean) / 1000).toFixed(1)}, autocannon ${((ac.rps * ac.mean) / 1000).toFixed(1)} (of ${C})\n`);
  process.stdout.write(`  ratio holy/autocannon: p50 ×${(h.p50 / ac.q.p50).toFixed(2)}, p99 ×${(h.p99 / ac.q.p99).toFixed(2)}\n`);
  check('E2E p50 added over autocannon, c=32', `${h.p50 - ac.q.p50 >= 0 ? '+' : ''}${f3(h.p50 - ac.q.p50)} ms`, '≤ +1 ms', h.p50 - ac.q.p50 <= 1);
  check('E2E p99 added over autocannon, c=32', `${h.p99 - ac.q.p99 >= 0 ? '+' : ''}${f3(h.p99 - ac.q.p99)} ms`, '≤ +3 ms', h.p99 - ac.q.p99 <= 3);
  check('non-streamed throughput vs autocannon', `${percent(holyRps / ac.rps)} (${holyRps.toFixed(0)}/${ac.rps.toFixed(0)} rps)`, '≥ 50%', holyRps / ac.rps >= 0.5);

  // 2. Below saturation: open loop at a tenth of holy's closed-loop pair rate.
  const rate = Math.max(50, Math.round(holyRps / 2 / 10));
  const open = await holy([small, '-n', String(Math.min(N / 2, rate * 10)), '--rate', String(rate), '--stream', 'off', '--warmup', '200'], url);
  const srvO = await ask<Stats>(server, { cmd: 'stats' });
  const o = worse(open.summary, (p) => p.e2eMs);
  process.stdout.write(`  open loop ${rate} pairs/s: holy p50 ${f3(o.p50)} p99 ${f3(o.p99)} · server handling p50 ${f3(srvO.handling.p50)} p99 ${f3(srvO.handling.p99)} ms\n`);
  check(`E2E p50 over server, open ${rate} pairs/s`, `+${f3(o.p50 - srvO.handling.p50)} ms`, '≤ +1 ms', o.p50 - srvO.handling.p50 <= 1);
  check(`E2E p99 over server, open ${rate} pairs/s`, `+${f3(o.p99 - srvO.handling.p99)} ms`, '≤ +3 ms', o.p99 - srvO.handling.p99 <= 3);

  // 3. Streamed, 60 content chunks, with and without usage: TTFT and ITL against the server's own timestamps.
  for (const usage of [true, false]) {
    await ask(server, { cmd: 'usage', on: usage });
    const s = await holy([small, '-n', '300', '-c', '4', '--stream', 'on', '--warmup', '8'], url);
    const srv = await ask<Stats>(server, { cmd: 'stats' });
    const t = worse(s.summary, (p) => p.ttftMs);
    const i = worse(s.summary, (p) => p.itlMs);
    const tag = usage ? 'usage' : 'no usage';
    process.stdout.write(`  streamed, ${tag} (n=${s.summary.old.ok}+${s.summary.new.ok}; tokens ${JSON.stringify(s.summary.new.outputTokensSource)}), ms: TTFT holy p50/p99 ${f3(t.p50)}/${f3(t.p99)} server ${f3(srv.ttft.p50)}/${f3(srv.ttft.p99)} · ITL holy ${f3(i.p50)}/${f3(i.p99)} server ${f3(srv.itl.p50)}/${f3(srv.itl.p99)} (n=${srv.itl.n})\n`);
    check(`streamed ${tag}: TTFT p99 − server's`, `${t.p99 - srv.ttft.p99 >= 0 ? '+' : ''}${f3(t.p99 - srv.ttft.p99)} ms`, '≤ 1 ms', Math.abs(t.p99 - srv.ttft.p99) <= 1);
    check(`streamed ${tag}: ITL p99 − server's`, `${i.p99 - srv.itl.p99 >= 0 ? '+' : ''}${f3(i.p99 - srv.itl.p99)} ms`, '≤ 1 ms', Math.abs(i.p99 - srv.itl.p99) <= 1);
  }
  await ask(server, { cmd: 'usage', on: true });

  // 4. Shortened soak: live memory (after a collection) against pairs served, fitted over the second
  // half and extrapolated to 1.8M pairs on top of the RSS at the end.
  const base = (await ask<{ served: number }>(server, { cmd: 'served' })).served;
  const served = async () => (await ask<{ served: number }>(server, { cmd: 'served' })).served - base;
  const { summary: ss, pts } = await soak([small, '--duration', String(SOAK_S), '-c', String(PAIRS), '--stream', 'off', '--show-worst', '0'], url, served);
  await ask(server, { cmd: 'stats' });
  const pairs = ss.pairs as number;
  if (pts.length < 4) line('RSS projected to 3600 s × 500 pairs/s', `n/a (${pts.length} samples)`, `< ${LIMIT_MB} MB`, undefined);
  else {
    const half = pts.filter((p) => p.pairs >= pts[pts.length - 1]!.pairs / 2);
    const live = slope(half.map((p) => p.pairs), half.map((p) => p.liveMB * 2 ** 20));
    const rss = slope(half.map((p) => p.pairs), half.map((p) => p.rssMB * 2 ** 20));
    const last = pts[pts.length - 1]!;
    const projected = last.rssMB + (Math.max(0, live) * Math.max(0, FULL_PAIRS - pairs)) / 2 ** 20;
    process.stdout.write(`  soak ${SOAK_S} s, non-streamed, c=${C}: ${pairs} pairs (${(pairs / SOAK_S).toFixed(0)} pairs/s); live JS memory ${pts[0]!.liveMB.toFixed(1)} → ${last.liveMB.toFixed(1)} MB, RSS ${pts[0]!.rssMB.toFixed(0)} → ${last.rssMB.toFixed(0)} MB
`);
    process.stdout.write(`  growth per pair over the second half (n=${half.length} samples): live ${live.toFixed(1)} B/pair, RSS ${rss.toFixed(1)} B/pair (RSS follows V8's heap sizing, not live data)
`);
    check('RSS projected to 3600 s × 500 pairs/s', `${projected.toFixed(0)} MB`, `< ${LIMIT_MB} MB`, projected < LIMIT_MB);
  }
} catch (e) {
  process.stderr.write(`bench:overhead failed: ${(e as Error).message}\n`);
  failed = true;
} finally {
  server.send({ cmd: 'exit' });
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
