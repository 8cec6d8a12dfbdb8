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
let running;
const stop = () => {
  for (const s of spinners) s.kill('SIGKILL');
  // npm runs the suite through a shell: end the whole process group it leads, not only npm.
  if (running) {
    try {
      process.kill(-running.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
};
process.on('exit', stop);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));

function suite() {
  return new Promise((resolve) => {
    // The same command as `npm test` after its build (package.json "test:run"), so the two cannot drift apart.
    const child = (running = spawn('npm', ['run', '-s', 'test:run'], { stdio: 'inherit', detached: true }));
    child.on('close', (code) => {
      running = undefined;
      resolve(code ?? 1);
    });
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
