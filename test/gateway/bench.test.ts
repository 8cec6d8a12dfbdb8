/**
 * bench/gateway's measurement parts on a tiny load: the open-loop client counts from the scheduled
 * time, the Prometheus reader, and the whole run's report structure (every target line present,
 * PASS/FAIL/SKIP, the anchors printed). Speed is never asserted: that is the benchmark's job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { tempDir } from '../helpers/tmp.js';
import { Client, cpusAllowed, ELD_PRELOAD, eldOf, machinePauses, metric, metricSum, openLoop, pct, percent, pinCpus, quantiles, splitUnavailable, startUpstream, UP_KEY } from '../../bench/gateway-lib.js';
import { ANCHORS, LEDGER_ROWS, NOISY_PAUSE_MS, runGatewayBench, TARGETS } from '../../bench/gateway-run.js';

test('pct and quantiles: nearest rank on a sorted copy', () => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
  const q = quantiles(xs);
  assert.equal(q.n, 100);
  assert.equal(q.p50, 50);
  assert.equal(q.p99, 99);
  assert.equal(q.max, 100);
  assert.equal(q.mean, 50.5);
  assert.ok(Number.isNaN(pct([], 50)));
});

test('percent: one decimal, rounded down, so a share just under the target never prints as the target', () => {
  assert.equal(percent(0.4956), '49.5%'); // 3,116 of 6,287 req/s: shown as "50%" before, beside FAIL
  assert.equal(percent(0.4996), '49.9%');
  assert.equal(percent(0.5), '50.0%');
  assert.equal(percent(0.57), '57.0%');
  assert.equal(percent(NaN), 'n/a');
});

test('machinePauses counts the gaps over the threshold, their share of the time and the longest (injected clock)', () => {
  // A clock that moves 1 µs per read, with a 3 ms jump every 1,000 reads and a 150 µs one every 500th (odd multiples).
  let reads = 0;
  let t = 0n;
  const clock = () => {
    reads++;
    t += reads % 1000 === 0 ? 3_000_000n : reads % 500 === 0 ? 150_000n : 1_000n;
    return t;
  };
  const p = machinePauses(20, 100, clock);
  // Within 20 ms of that clock: four 3 ms jumps and five 150 µs ones (12.75 ms) out of 17.74 ms read.
  assert.equal(p.n, 9);
  assert.equal(p.longestMs, 3);
  assert.ok(Math.abs(p.lostPct - (100 * 12.75) / 17.74) < 0.1, `lost: ${p.lostPct}`);
  // Nothing over the threshold: nothing counted.
  let u = 0n;
  const smooth = machinePauses(1, 100, () => (u += 50_000n));
  assert.deepEqual([smooth.n, smooth.lostPct, smooth.longestMs], [0, 0, 0]);
});

test('--split placement: pinCpus puts every thread of a process on the CPUs named, and threads it starts later too', async (t) => {
  const why = splitUnavailable();
  if (why) return t.skip(`--split cannot pin here: ${why}`);
  // A child that, when asked, starts a worker thread which reports the CPUs it may run on.
  const child = spawn(process.execPath, ['-e', "const { Worker } = require('node:worker_threads'); process.on('message', () => { const w = new Worker(\"const { parentPort } = require('node:worker_threads'); parentPort.postMessage(/Cpus_allowed_list:\\\\s*(\\\\S+)/.exec(require('node:fs').readFileSync('/proc/thread-self/status', 'utf8'))[1]);\", { eval: true }); w.once('message', (m) => { process.send(m); w.terminate(); }); }); setInterval(() => {}, 1000);"], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const before = cpusAllowed(child.pid!);
    assert.notEqual(before, '0', 'the child starts on every CPU');
    assert.equal(pinCpus(child.pid!, '0'), '0');
    const later = once(child, 'message');
    child.send('start a worker');
    assert.equal((await later)[0], '0', 'a thread started after the pin inherits CPU 0');
    assert.throws(() => pinCpus(child.pid!, '4096'), /taskset -a -p -c 4096 \d+ failed/);
  } finally {
    child.kill();
  }
});

test('runGatewayBench --split (tiny, in a child process so this one keeps its CPUs): every server under test on CPU 0, the client on the others', async (t) => {
  const why = splitUnavailable();
  if (why) return t.skip(`--split cannot pin here: ${why}`);
  const run = new URL('../../bench/gateway-run.js', import.meta.url).href;
  const code = `const { runGatewayBench } = await import(${JSON.stringify(run)}); const r = await runGatewayBench({ scale: 'tiny', split: true, only: ['latency', 'redis', 'shadow'], out: () => {} }); process.stdout.write(JSON.stringify({ placement: r.placement, notes: r.notes, errors: r.lines.filter((l) => l.id.endsWith('.error')).map((l) => l.id) }));`;
  // From a file, not -e: the bench forks its upstream with this process's execArgv.
  const script = join(tempDir('holy-split-'), 'split.mjs');
  writeFileSync(script, code);
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d));
  const [status] = (await once(child, 'exit')) as [number];
  assert.equal(status, 0, text);
  const r = JSON.parse(text) as { placement: string; notes: string[]; errors: string[] };
  assert.deepEqual(r.errors, []);
  assert.match(r.placement, /^split \(--split\): the servers under test/);
  const pins = r.notes.filter((n) => n.startsWith('placement: '));
  const rest = cpus().length === 2 ? '1' : `1-${cpus().length - 1}`;
  assert.ok(pins.some((n) => new RegExp(`^placement: the client \\(pid \\d+\\) on CPU ${rest}$`).test(n)), pins.join('\n'));
  for (const name of ['the floor', 'the gateway', 'the shadowing gateway (100%)', 'the shadowing gateway (10%)']) {
    assert.ok(pins.some((n) => n.startsWith(`placement: ${name} (pid `) && n.endsWith(' on CPU 0')), `${name} not pinned:\n${pins.join('\n')}`);
  }
  // The Redis gateway only where a redis-server runs (its part is skipped, and says so, without one).
  if (!r.notes.some((n) => /skipped: no redis-server/.test(n))) assert.ok(pins.some((n) => n.startsWith('placement: the Redis gateway (pid ') && n.endsWith(' on CPU 0')), pins.join('\n'));
});

test('bench:gateway-pair, A/A at tiny scale (in a child process: it pins CPUs): both builds on CPU 0, a ratio per round and its median', async (t) => {
  const why = splitUnavailable();
  if (why) return t.skip(`cannot pin here: ${why}`);
  const bin = fileURLToPath(new URL('../../bench/gateway-pair.js', import.meta.url));
  const root = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
  const ours = join(root, 'bin', 'holy.js');
  // The base: another "checkout" whose bin/holy.js runs this build, so the two are the same code (A/A) but told apart by path.
  const base = tempDir('holy-pair-base-');
  mkdirSync(join(base, 'bin'));
  writeFileSync(join(base, 'bin', 'holy.js'), `import ${JSON.stringify(pathToFileURL(ours).href)};\n`);
  const child = spawn(process.execPath, [bin, '--base', base, '--rounds', '2', '--seconds', '1', '--warmup', '0', '--connections', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  const [status] = (await once(child, 'exit')) as [number];
  assert.equal(status, 0, out + err);
  assert.match(out, new RegExp(`placement: this: ${ours} \\(pid \\d+\\) on CPU 0 · base: ${join(base, 'bin', 'holy.js')} \\(pid \\d+\\) on CPU 0;`));
  const rounds = [...out.matchAll(/^round (\d): this (\d+) µs\/request \(n=(\d+)\) · base (\d+) µs\/request \(n=(\d+)\) · this ÷ base (\d+\.\d{3})/gm)];
  assert.deepEqual(rounds.map((m) => m[1]), ['1', '2'], out);
  for (const m of rounds) {
    assert.ok(Number(m[3]) > 0 && Number(m[5]) > 0, m[0]);
    assert.ok(Math.abs(Number(m[6]) - Number(m[2]) / Number(m[4])) < 0.01, m[0]); // printed µs are rounded
  }
  const med = /^CPU per request, this ÷ base: median (\d+\.\d{3}) over 2 round\(s\) \(from (\d+\.\d{3}) to (\d+\.\d{3})\); medians this \d+ µs, base \d+ µs; n=(\d+) requests$/m.exec(out);
  assert.ok(med, out);
  assert.ok(Number(med[2]) <= Number(med[1]) && Number(med[1]) <= Number(med[3]), med[0]);
  assert.equal(Number(med[4]), rounds.reduce((a, m) => a + Number(m[3]) + Number(m[5]), 0));
});

test('bench:gateway-pair bad arguments: one sentence each naming the flag, exit 2; --help lists every flag, exit 0', () => {
  const bin = fileURLToPath(new URL('../../bench/gateway-pair.js', import.meta.url));
  const run = (...a: string[]) => spawnSync(process.execPath, [bin, ...a], { encoding: 'utf8' });
  const help = run('--help');
  assert.equal(help.status, 0);
  for (const f of ['--base DIR', '--rounds N', '--seconds S', '--warmup N', '--connections C', 'Exit: 0']) assert.ok(help.stdout.includes(f), f);
  const empty = tempDir('holy-pair-');
  const cases: Array<[string[], RegExp]> = [
    [[], /--base DIR is required/],
    [['--base', empty], new RegExp(`--base ${empty}: .*bin/holy\\.js does not exist; point --base at the root of a holy checkout`)],
    [['--base', '.', '--rounds', '0'], /--rounds "0": expected a whole number from 1 to 50/],
    [['--base', '.', '--seconds', '2.5'], /--seconds "2\.5": expected a whole number from 1 to 60/],
    [['--base', '.', '--warmup=-1'], /--warmup "-1": expected a whole number from 0 to 20/],
    [['--base', '.', '--warmup', '-1'], /Option '--warmup' argument is ambiguous; see --help\.\n$/],
    [['--bsae', '.'], /Unknown option '--bsae'; see --help/],
  ];
  for (const [args, want] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, want, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^bench:gateway-pair: /);
  }
});

test('npm run bench:gateway -- --help: the usage with every flag, exit 0; an unknown flag: one sentence, exit 2', () => {
  const bin = new URL('../../bench/gateway.js', import.meta.url);
  const help = spawnSync(process.execPath, [bin.pathname, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  for (const f of ['--quick', '--split', '--json FILE', '--only PARTS', 'latency,ttft,throughput,eld,rss,redis,shadow']) assert.ok(help.stdout.includes(f), `${f} missing:\n${help.stdout}`);
  const bad = spawnSync(process.execPath, [bin.pathname, '--splt'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^bench:gateway: unknown argument --splt; use --quick, --split, /);
  // --split where it cannot pin (here: no taskset on the PATH): refused before anything starts.
  const noTaskset = spawnSync(process.execPath, [bin.pathname, '--split', '--quick'], { encoding: 'utf8', env: { PATH: '/nonexistent' } });
  assert.equal(noTaskset.status, 2);
  assert.match(noTaskset.stderr, /^bench:gateway: --split needs Linux, taskset \(util-linux\) and at least 2 CPUs; here: \w+, \d+ CPU\(s\), no taskset; drop --split/);
  assert.equal(noTaskset.stdout, '');
});

test('metric and metricSum read Prometheus text', () => {
  const text = [
    '# HELP nodejs_eventloop_lag_p99_seconds The 99th percentile of the recorded event loop delays.',
    '# TYPE nodejs_eventloop_lag_p99_seconds gauge',
    'nodejs_eventloop_lag_p99_seconds 0.010412',
    'holy_gateway_ledger_rows_written_total{provider="up"} 7',
    'holy_gateway_ledger_rows_written_total{provider="other"} 5',
  ].join('\n');
  assert.equal(metric(text, 'nodejs_eventloop_lag_p99_seconds'), 0.010412);
  assert.equal(metric(text, 'process_resident_memory_bytes'), undefined);
  assert.deepEqual(metricSum(text, /ledger.*written/), { name: 'holy_gateway_ledger_rows_written_total', value: 12 });
  // The ledger's written rows, never its lost ones, whichever comes first.
  const gw = 'holy_gateway_ledger_lost_rows_total 3\nholy_gateway_ledger_rows_total 40\n';
  assert.deepEqual(metricSum(gw, LEDGER_ROWS), { name: 'holy_gateway_ledger_rows_total', value: 40 });
});

test('openLoop sends on schedule and counts latency from the scheduled time (no coordinated omission)', async () => {
  // One connection; the 5th request stalls 300 ms. A closed-loop client would record one slow
  // request; an open-loop one records every request that was due during the stall as late.
  let seen = 0;
  const srv = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const stall = ++seen === 5 ? 300 : 0;
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices":[]}'), stall);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const c = new Client({ name: 'stall', origin: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, key: 'x' }, 1);
  try {
    const r = await openLoop(c, { rate: 100, durationMs: 1000 });
    assert.equal(r.n, 100);
    assert.equal(r.ok, 100);
    assert.equal(seen, 100);
    // Due during the 300 ms stall: ~30 requests, each late by what remained of it; at least 5 by over 100 ms.
    assert.ok(r.lat.filter((ms) => ms > 100).length >= 5, `late requests: ${r.lat.filter((ms) => ms > 100).length}`);
    assert.equal(r.lag.length, 100);
  } finally {
    await c.close();
    srv.close();
  }
});

test('openLoop counts every request it scheduled: unanswered ones by the drain deadline are errors, even those never dispatched', async () => {
  const srv = createServer((req) => void req.resume()); // never answers
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const c = new Client({ name: 'hang', origin: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, key: 'x' }, 1);
  try {
    const r = await openLoop(c, { rate: 50, durationMs: 200, drainMs: 300 });
    assert.equal(r.n, 10);
    assert.equal(r.ok, 0);
    assert.equal(r.errors, 10);
    assert.match(r.firstError ?? '', /no answer within 300 ms/);
    assert.equal(r.lat.length, 0);
  } finally {
    await c.destroy();
    srv.closeAllConnections();
    srv.close();
  }
});

test('openLoop streams: TTFT is seen at the first content chunk, after the upstream set its delay', async () => {
  const up = await startUpstream();
  const c = new Client({ name: 'direct', origin: up.origin, key: UP_KEY }, 4);
  try {
    await up.set({ ttftMs: 30, gapMs: 1, chunks: 3 });
    const r = await openLoop(c, { rate: 50, durationMs: 200, stream: true });
    assert.equal(r.ok, r.n);
    assert.equal(r.ttft.length, r.n);
    assert.ok(Math.min(...r.ttft) >= 29, `TTFT below the injected 30 ms: ${Math.min(...r.ttft)}`); // never early
    assert.equal((await up.stats()).streams, r.n);
  } finally {
    await c.close();
    await up.close();
  }
});

test('runGatewayBench (tiny): every target line, PASS/FAIL/SKIP, references and anchors in one report', async () => {
  let printed = '';
  const r = await runGatewayBench({ scale: 'tiny', out: (s) => void (printed += s) });
  const ids = r.lines.map((l) => l.id);
  for (const id of ['added.p50', 'added.p99', 'ttft.added.p50', 'throughput.share', 'eld.p99', 'rss.streams', 'redis.added.p50', 'shadow.added.p50', 'shadow.added.p99']) {
    assert.ok(ids.includes(id), `no line ${id} in ${ids.join(', ')}\n${printed}`);
  }
  assert.deepEqual(ids.filter((id) => id.endsWith('.error')), [], `a part of the run failed:\n${printed}`);
  for (const l of r.lines) {
    assert.ok([true, false, null].includes(l.pass));
    assert.match(l.target, /^[≤≥] /);
    assert.ok(printed.includes(l.name), `${l.name} not printed`);
  }
  assert.match(printed, /target ≤ 0\.5 ms\s+(PASS|FAIL|SKIP)/);
  for (const a of ANCHORS) assert.ok(printed.includes(a), `anchor not printed: ${a}`);
  // The same-run references are always measured, with or without a gateway.
  for (const f of ['direct.p50', 'direct.p99', 'floor.added.p50', 'noise.p50', 'direct.rps', 'floor.rps']) assert.ok(Number.isFinite(r.figures[f]), `figure ${f}: ${r.figures[f]}`);
  assert.ok(r.figures['direct.rps']! > 0);
  // Every server is warmed before it is measured, and its cold cost is on record.
  assert.match(printed, /0\. Warm-up of the servers: autocannon c=8/);
  assert.ok(r.figures['warm.cold.cpuUsPerReq.floor']! > 0, `cold floor cost: ${r.figures['warm.cold.cpuUsPerReq.floor']}`);
  assert.match(printed, /floor\s+\d+ run\(s\): CPU per request \d+/);
  // Allocation per request, the figure that does not move with the machine's load: measured for the floor
  // (and the gateway where it runs), a positive number of bytes.
  assert.ok(r.figures['alloc.bytesPerReq.floor']! > 1000, `floor bytes per request: ${r.figures['alloc.bytesPerReq.floor']}`);
  assert.match(printed, /allocated per request, warm .*floor \d+\.\d KB/);
  // ...after every part that measures those servers: the heap profiler slows their GC while it is on.
  for (const heading of ['1. Added latency', 'Throughput', 'Event-loop delay']) {
    const at = printed.indexOf(heading);
    if (at >= 0) assert.ok(at < printed.indexOf('allocated per request'), `${heading} came after the allocation figure:\n${printed}`);
  }
  if (ids.includes('added.p50') && r.lines.find((l) => l.id === 'added.p50')!.pass !== null) assert.ok(r.figures['alloc.bytesPerReq.gateway']! > r.figures['alloc.bytesPerReq.floor']!, printed);
  // Shadowing is measured at 100% (judged) and at the example 10% (reported).
  if (r.lines.find((l) => l.id === 'shadow.added.p50')?.pass !== null) assert.ok(Number.isFinite(r.figures['shadow10.onMinusOff.p50']), printed);
  assert.equal(r.failed, r.lines.some((l) => l.pass === false));
  assert.equal(r.machine.cpus > 0, true);
  // The machine's own pauses are measured before any server starts, printed, and mark the run when they reach half the p99 budget.
  assert.ok(r.machine.pauses && r.machine.pauses.ms === 50 && Number.isFinite(r.machine.pauses.lostPct), JSON.stringify(r.machine));
  assert.match(printed, /machine pauses: a lone busy thread, nothing else of the benchmark running, lost \d+\.\d% of 50 ms to \d+ pauses over 100 µs, the longest \d+\.\d\d ms/);
  assert.equal(r.machine.noisy, r.machine.pauses.longestMs > NOISY_PAUSE_MS);
  assert.ok(printed.indexOf('machine pauses:') < printed.indexOf('0. Warm-up'), printed);
  // A skipped line says why on the next line.
  for (const l of r.lines.filter((x) => x.pass === null)) assert.match(printed, new RegExp(`${l.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^\\n]*SKIP\\n  skipped: \\S`));
  // Where the gateway ran, its figures are numbers against the targets.
  const added = r.lines.find((l) => l.id === 'added.p50')!;
  if (added.pass !== null) assert.ok(Number.isFinite(added.value));
  if (added.pass) assert.ok(added.value! <= TARGETS.addedP50Ms);
});

test('the allocation preload measures twice in one process, each round its own allocations', async () => {
  // A child that allocates about 8 MB of short-lived arrays when asked, with the bench's preload, driven by the bench's own Monitor.
  const child = spawn(process.execPath, ['--import', ELD_PRELOAD(), '-e', "process.on('message', (m) => { if (m === 'work') { let keep = 0; for (let i = 0; i < 8192; i++) keep += new Array(128).fill(i).length; process.send({ worked: keep }); } }); setInterval(() => {}, 1000);"], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const monitor = eldOf(child);
  try {
    const rounds: number[] = [];
    for (let round = 0; round < 2; round++) {
      await monitor.allocStart();
      const worked = once(child, 'message');
      child.send('work');
      await worked;
      rounds.push(await monitor.alloc());
    }
    // Each round counts its own ~8 MB (sampled), not the first round's again: the profiler was stopped in between.
    for (const b of rounds) assert.ok(b > 4e6 && b < 32e6, `bytes per round: ${rounds.join(', ')}`);
  } finally {
    child.kill();
  }
});
