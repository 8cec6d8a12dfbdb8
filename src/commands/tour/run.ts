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
import type { Out } from '../../ui/output.js';
import { maskKey } from '../../core/redact.js';
import { cutoverStep } from './cutover.js';

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
      JSON.stringify({ providers: { official: { baseURL: oldMock.url }, holysheep: { baseURL: newMock.url } }, old: 'official', new: 'holysheep', gateway: TOUR_GATEWAY }, null, 2) + '\n',
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
      const se: StepEnv = { ctx, env, work, main, json: out.mode === 'json', passThrough: g };
      results.push(...(step.id === 'gateway' ? await gatewayStep(se, out) : step.id === 'cutover' ? await cutoverStep({ ...se, relayKey: NEW_KEY }, out) : await runStep(step, se)));
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

/** The gateway section of the tour's config: one tenant on a plan, the relay first and official as the fallback. */
const TOUR_GATEWAY = {
  plans: { pro: { rpm: 600, tpm: 1_000_000, models: ['*'], tools: ['*'], weight: 4 } },
  tenants: { acme: { plan: 'pro' } },
  route: { primary: 'holysheep', fallback: 'official', maxInFlight: 16 },
  modelMap: { 'gpt-4.5': 'gpt-4o' },
};

/**
 * The gateway step, live: a tenant key, `holy gateway` in this process in front of both simulators,
 * one plain and one streamed request through it with the tenant key, then a drain (as Ctrl-C would)
 * and the ledger's row count from the gateway's last log line.
 */
async function gatewayStep(s: StepEnv, out: Out): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const say = (t: string) => {
    if (!s.json) s.ctx.stdout.write(t + '\n');
  };
  const base = { ...s.ctx, env: s.env, cwd: s.work, onHangup: undefined };
  say('$ holy gateway keys add acme');
  let keyText = '';
  const addCode = await s.main(['--json', '-q', 'gateway', 'keys', 'add', 'acme'], { ...base, stdout: captureStream((t) => (keyText += t)) });
  let key: string | undefined;
  try {
    key = (JSON.parse(keyText) as { key?: string }).key;
  } catch {
    key = undefined;
  }
  results.push({ step: 'gateway', argv: ['gateway', 'keys', 'add', 'acme'], exitCode: addCode, expected: addCode === 0 && !!key, ...(key ? { result: { tenant: 'acme', key: maskKey(key) } } : {}) });
  if (!key) return results;
  say(`tenant key for acme: ${maskKey(key)} (keys add prints it once; holy keeps only its SHA-256)`);

  say('$ holy gateway --port 0');
  const ac = new AbortController();
  let urlText = '';
  let logText = '';
  const done = s.main(['gateway', '--port', '0'], { ...base, signal: ac.signal, stdout: captureStream((t) => (urlText += t)), stderr: captureStream((t) => (logText += t)) });
  let exit: number | undefined;
  void done.then((c) => (exit = c));
  while (!urlText.includes('\n') && exit === undefined) await new Promise((r) => setTimeout(r, 10));
  const url = urlText.split('\n')[0]!;
  const calls: { status: number; provider: string | null; model?: string; chunks?: number }[] = [];
  if (exit === undefined) {
    say(`gateway listening on ${url} — the app sets OPENAI_BASE_URL=${url} and OPENAI_API_KEY=hk-…`);
    const post = (body: object) => fetch(url + '/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const msg = [{ role: 'user', content: 'Say hello through the gateway.' }];
    const plain = await post({ model: 'gpt-4.5', messages: msg, max_tokens: 12 });
    const doc = (await plain.json().catch(() => ({}))) as { model?: string };
    calls.push({ status: plain.status, provider: plain.headers.get('x-holy-provider'), ...(doc.model ? { model: doc.model } : {}) });
    say(`POST /v1/chat/completions (model gpt-4.5) → ${plain.status}, served by ${plain.headers.get('x-holy-provider')} as ${doc.model} (modelMap gpt-4.5 → gpt-4o)`);
    const streamed = await post({ model: 'gpt-4.1-mini', messages: msg, max_tokens: 12, stream: true });
    const text = await streamed.text();
    const chunks = text.split('\n\n').filter((e) => e.startsWith('data: {')).length;
    calls.push({ status: streamed.status, provider: streamed.headers.get('x-holy-provider'), chunks });
    say(`POST /v1/chat/completions (stream) → ${streamed.status}, ${chunks} chunks passed through as they came`);
  }
  ac.abort(new Error('tour: stop the gateway'));
  const code = await done;
  const stopped = logText
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as { event?: string; ledgerWritten?: number; ledgerLost?: number };
      } catch {
        return {};
      }
    })
    .find((l) => l.event === 'stopped');
  const ok = code === 0 && calls.length === 2 && calls.every((c) => c.status === 200);
  say(`${ok ? out.c.green('✓') : out.c.red('✗')} gateway drained and stopped (exit ${code}); ledger holy-ledger.db: ${stopped?.ledgerWritten ?? 0} row(s) written, ${stopped?.ledgerLost ?? 0} lost — holy roi reads it`);
  results.push({ step: 'gateway', argv: ['gateway', '--port', '0'], exitCode: code, expected: ok, result: { calls, ledger: { written: stopped?.ledgerWritten ?? 0, lost: stopped?.ledgerLost ?? 0 } } });
  return results;
}
