/**
 * Gateway benchmark (`npm run bench:gateway [-- --quick] [-- --split] [-- --json FILE] [-- --only a,b]`):
 * what `holy gateway` adds to the calls it carries (issue 14 "Performance", issue 16's Redis
 * store line, issue 15's shadowing overhead). One line per figure with its target and
 * PASS/FAIL/SKIP, each measured against a reference in the same run (direct to the same local
 * upstream, a bare Node proxy, the embedded store, shadowing off); exit 1 when a target is missed.
 * Loopback only; stops by itself (every phase is bounded; a watchdog ends the run after
 * 15 min, 5 with --quick). Method and targets: docs/gateway-bench.md.
 */
import { writeFileSync } from 'node:fs';
import { killChildren, splitUnavailable } from './gateway-lib.js';
import { runGatewayBench } from './gateway-run.js';

const PARTS = ['latency', 'ttft', 'throughput', 'eld', 'rss', 'redis', 'shadow'];
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    'npm run bench:gateway [-- --quick] [-- --split] [-- --json FILE] [-- --only PARTS]\n' +
      '  What holy gateway adds to the calls it carries, each figure against a reference measured in the same run.\n' +
      '  --quick        shorter runs: for a look, not for the record\n' +
      '  --split        the servers under test on CPU 0, the client and the upstreams on the others (Linux, taskset, >= 2 CPUs)\n' +
      '  --json FILE    also write the report (every line, figure and note) as JSON\n' +
      `  --only PARTS   some parts only, comma-separated: ${PARTS.join(',')}\n` +
      '  Exit: 0 every judged target met, 1 a target missed or the run failed, 2 a bad argument. Method: docs/gateway-bench.md.\n',
  );
  process.exit(0);
}
const quick = args.includes('--quick');
const split = args.includes('--split');
const jsonAt = args.indexOf('--json');
const onlyAt = args.indexOf('--only');
const values = new Set([jsonAt, onlyAt].filter((i) => i >= 0).map((i) => i + 1));
const unknown = args.filter((a, i) => !['--quick', '--split', '--json', '--only'].includes(a) && !values.has(i));
if ((jsonAt >= 0 && !args[jsonAt + 1]) || (onlyAt >= 0 && !args[onlyAt + 1])) {
  process.stderr.write('bench:gateway: --json needs a file name and --only a list, e.g. --only latency,ttft\n');
  process.exit(2);
}
if (unknown.length) {
  process.stderr.write(`bench:gateway: unknown argument ${unknown[0]}; use --quick, --split, --json FILE, --only ${PARTS.join(',')}\n`);
  process.exit(2);
}
const cannotSplit = split ? splitUnavailable() : undefined;
if (cannotSplit) {
  process.stderr.write(`bench:gateway: --split needs Linux, taskset (util-linux) and at least 2 CPUs; here: ${cannotSplit}; drop --split (or install util-linux).\n`);
  process.exit(2);
}
const only = onlyAt >= 0 ? args[onlyAt + 1]!.split(',') : undefined;
const badPart = only?.find((p) => !PARTS.includes(p));
if (badPart) {
  process.stderr.write(`bench:gateway: --only ${badPart} is not a part; use any of ${PARTS.join(',')}\n`);
  process.exit(2);
}
const watchdog = setTimeout(() => {
  process.stderr.write(`bench:gateway: still running after ${quick ? 5 : 15} min; stopping\n`);
  killChildren();
  process.exit(1);
}, (quick ? 5 : 15) * 60_000);
watchdog.unref();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killChildren();
    process.exit(130);
  });
}

try {
  const report = await runGatewayBench({ scale: quick ? 'quick' : 'full', ...(only ? { only } : {}), ...(split ? { split } : {}) });
  if (jsonAt >= 0) writeFileSync(args[jsonAt + 1]!, JSON.stringify(report, null, 2) + '\n');
  process.exitCode = report.failed ? 1 : 0;
} catch (e) {
  process.stderr.write(`bench:gateway failed: ${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  killChildren();
  clearTimeout(watchdog);
}
