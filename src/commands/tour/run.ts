/** Runs the tour: two simulators, a throwaway workspace, then each step through holy's own entry point. */
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import type { Handler, Invocation } from '../kit.js';
import type { Ctx } from '../../context.js';
import { CheckFailed, Interrupted, RuntimeError, UsageError } from '../../errors.js';
import { startMock, type MockServer } from '../../mock/server.js';
import { TOUR_STEPS, substitute, type TourStep } from './steps.js';
import type { RunHoly, TourOpts } from './command.js';

/** fixtures/ ships with the package: find it above this module, whether it runs from dist/src or the bundle. */
function findFixtures(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'fixtures', 'traffic')) && existsSync(join(dir, 'package.json'))) return join(dir, 'fixtures');
    const up = dirname(dir);
    if (up === dir) throw new RuntimeError('the sample files (fixtures/) that ship with holy were not found; reinstall holy.');
    dir = up;
  }
}
const FIXTURES = findFixtures();

// Fake keys in a format that is neither OpenAI's nor a relay's, so the key/host check lets them reach loopback.
const OLD_KEY = 'tour-official-key-0001';
const NEW_KEY = 'tour-holysheep-key-0002';

interface StepResult {
  step: string;
  argv: string[];
  exitCode: number;
  expected: boolean;
  result?: unknown;
}

/** The tour's handler, running each step through `main` (cli.ts's, handed down by command.ts). */
export function tourWith(main: RunHoly): Handler<TourOpts> {
  return (inv) => tour(inv, main);
}

async function tour({ ctx, out, g, opts }: Invocation<TourOpts>, main: RunHoly): Promise<void> {
  const only = opts.only !== undefined ? opts.only.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  if (only && only.length === 0) throw new UsageError(`--only ${JSON.stringify(opts.only)} names no step; choose from ${TOUR_STEPS.map((s) => s.id).join(', ')} (comma-separated), or drop --only to run them all.`);
  const known = TOUR_STEPS.map((s) => s.id as string);
  for (const s of only ?? []) if (!known.includes(s)) throw new UsageError(`--only ${opts.only}: unknown step "${s}"; choose from ${known.join(', ')}.`);
  const steps = TOUR_STEPS.filter((s) => !only || only.includes(s.id));

  const work = await mkdtemp(join(tmpdir(), 'holy-tour-'));
  const mocks: MockServer[] = [];
  try {
    // The "official" stand-in is slower and answers canonically; the relay is faster and words ~5% of answers differently.
    mocks.push(await startMock({ label: 'official (simulated)', key: OLD_KEY, seed: 7, stored: 300, latency: { ttftMs: 120, perTokenMs: 6, jitterMs: 25, seed: 1 }, owner: 'openai', models: ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini', 'gpt-4-turbo', 'gpt-3.5-turbo'] }));
    mocks.push(await startMock({ label: 'holysheep (simulated)', key: NEW_KEY, seed: 7, variant: 0.05, latency: { ttftMs: 45, perTokenMs: 4, jitterMs: 10, seed: 2 }, owner: 'holysheep', models: ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4.5', 'gemini-2.5-flash', 'deepseek-v3.2'] }));
    const [oldMock, newMock] = mocks as [MockServer, MockServer];
    await writeFile(
      join(work, 'holy.config.json'),
      JSON.stringify({ providers: { official: { baseURL: oldMock.url }, holysheep: { baseURL: newMock.url } }, old: 'official', new: 'holysheep' }, null, 2) + '\n',
    );
    if (existsSync(join(FIXTURES, 'env', 'sample.env'))) {
      await copyFile(join(FIXTURES, 'env', 'sample.env'), join(work, 'app.env'));
      await chmod(join(work, 'app.env'), 0o600); // a file holding keys is private; holy refuses to write keys into a readable one
    }

    out.info(out.c.bold('holy tour') + ' — everything below runs against two local simulators (clearly not real providers):');
    out.info(`  official  → ${oldMock.url}  (simulated, TTFT ≈120 ms)`);
    out.info(`  holysheep → ${newMock.url}  (simulated, TTFT ≈45 ms)`);
    out.info(`  workspace → ${work}\n`);

    const env = { ...ctx.env, OPENAI_API_KEY: OLD_KEY, HOLYSHEEP_API_KEY: NEW_KEY, HOLYSHEEP_BASE_URL: undefined };
    const results: StepResult[] = [];
    for (const [i, step] of steps.entries()) {
      if (ctx.signal.aborted) throw new Interrupted();
      if (out.mode !== 'json') out.line(`\n${out.c.bold.cyan(`━━ ${i + 1}/${steps.length}  ${step.title}`)}`);
      results.push(...(await runStep(step, { ctx, env, work, main, json: out.mode === 'json', passThrough: g })));
      if (step.id === 'migrate' && existsSync(join(work, 'app.env'))) {
        const same = (await readFile(join(work, 'app.env'))).equals(await readFile(join(FIXTURES, 'env', 'sample.env')));
        if (out.mode !== 'json') out.line(same ? out.c.green('✓ after migrate → rollback, app.env is byte-for-byte the original') : out.c.red('✗ app.env differs from the original after rollback'));
        results.push({ step: 'migrate', argv: ['(compare app.env with the original)'], exitCode: same ? 0 : 3, expected: same });
      }
    }

    const failed = results.filter((r) => !r.expected);
    if (out.mode === 'json') out.json({ simulated: true, workspace: opts.keep ? work : undefined, steps: results, ok: failed.length === 0 });
    else {
      out.line(`\n${out.c.bold('Tour done:')} ${results.length - failed.length}/${results.length} steps as expected.`);
      if (opts.keep) out.line(`Workspace kept: ${work}  (holy.config.json, results.jsonl, report.html, traffic.jsonl, sample.jsonl, app.env and its backups)`);
      out.line('Next, on your own data:  holy verify  ·  holy bench your-traffic.jsonl --p99  ·  holy roi your-usage.csv  ·  holy migrate --env-file .env');
      out.line('(To type `holy` in your app\'s folder, run `npm link` here once: README, "Put holy on your PATH".)');
    }
    if (failed.length) throw new CheckFailed(`${failed.length} tour step(s) did not go as expected: ${failed.map((f) => `holy ${f.argv.join(' ')} (exit ${f.exitCode})`).join('; ')}.`);
  } finally {
    await Promise.all(mocks.map((m) => m.close()));
    if (!opts.keep) await rm(work, { recursive: true, force: true });
  }
}

interface StepEnv {
  ctx: Ctx;
  env: Record<string, string | undefined>;
  work: string;
  main: RunHoly;
  json: boolean;
  passThrough: Invocation['g'];
}

async function runStep(step: TourStep, s: StepEnv): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const [i, raw] of step.runs.entries()) {
    const argv = substitute(raw, { fixtures: FIXTURES, work: s.work });
    const flags = [...(s.json ? ['--json'] : []), ...(s.passThrough.quiet ? ['-q'] : []), ...(s.passThrough.color === false ? ['--no-color'] : [])];
    const shown = argv.map((a) => a.replace(FIXTURES, 'fixtures').replace(s.work, '$WORK'));
    let captured = '';
    const stdout = s.json ? captureStream((t) => (captured += t)) : s.ctx.stdout;
    if (!s.json) s.ctx.stdout.write(`$ holy ${shown.join(' ')}\n`);
    const code = await s.main([...argv, ...flags], { ...s.ctx, stdout, env: s.env, cwd: s.work });
    let result: unknown;
    if (s.json) {
      try {
        result = JSON.parse(captured);
      } catch {
        result = captured;
      }
    }
    results.push({ step: step.id, argv: shown, exitCode: code, expected: step.expect[i]!.includes(code), result });
  }
  return results;
}

function captureStream(onText: (t: string) => void): Ctx['stdout'] {
  // A Writable calls write() synchronously, so the text is complete when the command returns.
  const w = new Writable({ write(chunk: Buffer, _enc, cb) { onText(chunk.toString('utf8')); cb(); } }) as Writable & { isTTY?: boolean };
  w.isTTY = false;
  return w;
}
