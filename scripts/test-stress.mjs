// `npm run test:stress`: the whole suite with every core kept busy by a spin loop, as on a loaded CI runner.
// A test that passes idle but fails here depends on the machine's speed (a wall-clock bound, a race, a port
// reused after closing). Usage: npm run test:stress [-- --runs N]   (default 1 run; the spinners are always stopped).
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const i = process.argv.indexOf('--runs');
const runs = i > 0 ? Number(process.argv[i + 1]) : 1;
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs ${process.argv[i + 1]}: expected a whole number of runs of at least 1, e.g. --runs 5`);
  process.exit(2);
}

const spinners = Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', 'for(;;);'], { stdio: 'ignore' }));
const stop = () => {
  for (const s of spinners) s.kill('SIGKILL');
};
process.on('exit', stop);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));

function suite() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=120000', 'dist/test/'], { stdio: 'inherit' });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

let passed = 0;
for (let k = 1; k <= runs; k++) {
  const code = await suite();
  if (code === 0) passed++;
  console.error(`test:stress run ${k}/${runs} with ${spinners.length} busy cores: ${code === 0 ? 'pass' : `FAIL (exit ${code})`}`);
}
console.error(`test:stress: ${passed} of ${runs} runs passed with ${spinners.length} busy cores`);
stop();
process.exitCode = passed === runs ? 0 : 1;
