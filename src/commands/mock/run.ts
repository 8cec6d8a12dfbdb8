/** `holy mock` run: options → a running simulator; prints its URL, then waits for Ctrl-C. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { UsageError } from '../../errors.js';
import { numberFlag } from '../../core/flags.js';
import type { Invocation } from '../kit.js';
import type { GlobalOpts, Out } from '../../ui/output.js';
import { maskKey } from '../../core/redact.js';
import { isLoopback } from '../../core/loopback.js';
import { DEFAULT_MOCK_MODELS, startMock, type MockOptions } from '../../mock/server.js';
import { describeRule, parseFaultSpec } from '../../mock/faults.js';
import { readStdinKey } from '../../adapters/profiles.js';

export interface MockFlags {
  port: string;
  host: string;
  models?: string;
  ttft: string;
  perToken: string;
  jitter: string;
  seed: string;
  variant: string;
  usageScale: string;
  echoModel?: string;
  ignoreIncludeUsage?: boolean;
  stored?: string;
  fault?: string[];
  label: string;
  keyEnv?: string;
}

interface MockSummary {
  url: string;
  port: number;
  label: string;
  models: string[];
}

/** Where the required key comes from: --key-env VAR, --key-file mock=PATH, or HOLY_MOCK_KEY; none = no auth. */
async function mockKey(ctx: Ctx, g: GlobalOpts, keyEnv?: string): Promise<{ key?: string; source?: string }> {
  if (keyEnv) {
    const v = ctx.env[keyEnv];
    if (!v) throw new UsageError(`--key-env ${keyEnv}: that environment variable is not set or empty; export it, or drop --key-env to run without auth.`);
    return { key: v.trim(), source: `env ${keyEnv}` };
  }
  const spec = (g.keyFile ?? []).find((s) => s.startsWith('mock='));
  if (spec) {
    const file = spec.slice('mock='.length);
    if (file === '-') {
      const key = (await readStdinKey(ctx)).trim();
      if (!key) throw new UsageError('--key-file mock=-: stdin was empty; pipe in the key the mock should require, e.g. `echo my-test-key | holy mock --key-file mock=-`.');
      return { key, source: 'stdin' };
    }
    let text: string;
    try {
      text = await readFile(resolve(ctx.cwd, file), 'utf8');
    } catch (e) {
      throw new UsageError(`--key-file mock=${file}: the file cannot be read (${(e as NodeJS.ErrnoException).code}); fix the path.`);
    }
    const key = text.trim();
    if (!key) throw new UsageError(`--key-file mock=${file}: the file is empty; put the key the mock should require in it.`);
    return { key, source: `file ${file}` };
  }
  const v = ctx.env.HOLY_MOCK_KEY;
  return v ? { key: v.trim(), source: 'env HOLY_MOCK_KEY' } : {};
}

/** Turn flags into MockOptions (pure apart from reading the key). */
export async function mockOptions(flags: MockFlags, ctx: Ctx, g: GlobalOpts): Promise<{ opts: MockOptions; keySource?: string }> {
  const models = flags.models?.split(',').map((m) => m.trim()).filter(Boolean);
  if (flags.models !== undefined && !models?.length) throw new UsageError('--models is empty; give model ids separated by commas, e.g. --models gpt-4o,gpt-4o-mini.');
  if (!isLoopback(flags.host))
    throw new UsageError(`--host ${flags.host}: holy mock binds loopback only (127.0.0.1, ::1 or localhost) so the simulator is never reachable from other machines; drop --host or use one of those.`);
  const { key, source } = await mockKey(ctx, g, flags.keyEnv);
  const opts: MockOptions = {
    host: flags.host,
    port: numberFlag(flags.port, '--port', { int: true, min: 0, max: 65535, example: '8080' }),
    models: models ?? [...DEFAULT_MOCK_MODELS],
    latency: { ttftMs: numberFlag(flags.ttft, '--ttft', { min: 0, max: 3_600_000, example: '200' }), perTokenMs: numberFlag(flags.perToken, '--per-token', { min: 0, max: 600_000, example: '20' }), jitterMs: numberFlag(flags.jitter, '--jitter', { min: 0, max: 600_000, example: '5' }) },
    seed: numberFlag(flags.seed, '--seed', { int: true, min: 0, max: 0xffffffff, example: '42' }),
    variant: numberFlag(flags.variant, '--variant', { min: 0, max: 1, example: '0.3' }),
    usageScale: numberFlag(flags.usageScale, '--usage-scale', { min: 0, max: 1000, example: '1' }),
    faults: (flags.fault ?? []).map(parseFaultSpec),
    label: flags.label,
    logLimit: 1000,
    ...(key ? { key } : {}),
    ...(flags.echoModel ? { echoModel: flags.echoModel } : {}),
    ...(flags.ignoreIncludeUsage ? { ignoreIncludeUsage: true } : {}),
    ...(flags.stored !== undefined ? { stored: numberFlag(flags.stored, '--stored', { int: true, min: 0, max: 100_000, example: '2000' }) } : {}),
  };
  return { opts, ...(source ? { keySource: source } : {}) };
}

function banner(out: Out, s: MockSummary, o: MockOptions, keySource?: string): void {
  // No colour here: out.c follows stdout, but the banner goes to stderr.
  const l = o.latency!;
  out.info(`holy mock: a LOCAL SIMULATOR of an OpenAI-compatible provider — not a real one (label ${JSON.stringify(s.label)})`);
  out.info(`  url      ${s.url}`);
  out.info(`  models   ${s.models.join(', ')}`);
  out.info(`  latency  ttft ${l.ttftMs} ms, per-token ${l.perTokenMs} ms, jitter ${l.jitterMs} ms, seed ${o.seed}`);
  const extras = [o.variant ? `variant ${o.variant}` : '', o.usageScale !== 1 ? `usage ×${o.usageScale}` : '', o.echoModel ? `reports model ${o.echoModel}` : '', o.ignoreIncludeUsage ? 'ignores include_usage' : '', o.stored ? `${o.stored} stored completions` : ''].filter(Boolean);
  if (extras.length) out.info(`  answers  ${extras.join(', ')}`);
  out.info(`  faults   ${o.faults!.length ? o.faults!.map(describeRule).join('; ') : 'none'}`);
  out.info(`  auth     ${o.key ? `Bearer key required (${keySource}, ${maskKey(o.key)})` : 'none: every request is accepted (set HOLY_MOCK_KEY to require a key)'}`);
  out.info('  Ctrl-C stops it.');
}

/** Start the simulator, print its URL and serve until ctx.signal aborts; then close and return normally. */
export async function run(flags: MockFlags, ctx: Ctx, g: GlobalOpts, out: Out): Promise<MockSummary> {
  const { opts, keySource } = await mockOptions(flags, ctx, g);
  const server = await startMock(opts);
  const summary: MockSummary = { url: server.url, port: server.port, label: opts.label!, models: opts.models! };
  if (out.mode === 'json') out.json(summary);
  else out.line(summary.url);
  banner(out, summary, opts, keySource);
  await new Promise<void>((done) => {
    if (ctx.signal.aborted) return done();
    ctx.signal.addEventListener('abort', () => done(), { once: true });
  });
  await server.close();
  out.info(`holy mock: stopped after ${server.served} request${server.served === 1 ? '' : 's'}.`);
  return summary;
}

export default async function handler(inv: Invocation<MockFlags>): Promise<void> {
  await run(inv.opts, inv.ctx, inv.g, inv.out);
}
