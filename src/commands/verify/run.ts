/** `holy verify` handler: options → verifyProviders → render → exit 3 when any check failed. */
import { Interrupted, SilentExit, UsageError } from '../../errors.js';
import { MAX_TIMEOUT_MS } from '../../core/profiles.js';
import { startProgress } from '../../ui/progress.js';
import type { Invocation } from '../kit.js';
import { renderVerify } from './render.js';
import { verifyProviders } from './verify.js';

export interface VerifyFlags {
  provider?: string[];
  model?: string;
  force?: boolean;
  timeout?: string;
}

/** --timeout MS as a positive integer, or a usage error naming the flag. */
export function parseTimeout(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) <= 0) throw new UsageError(`--timeout ${JSON.stringify(v)}: expected a positive number of milliseconds, e.g. --timeout 5000.`);
  if (Number(v) > MAX_TIMEOUT_MS) throw new UsageError(`--timeout ${v.trim()}: at most ${MAX_TIMEOUT_MS} ms (about 24 days), e.g. --timeout 5000.`);
  return Number(v);
}

export default async function verify({ ctx, out, g, opts }: Invocation<VerifyFlags>): Promise<void> {
  const timeoutMs = parseTimeout(opts.timeout);
  if (opts.model !== undefined && !opts.model.trim()) throw new UsageError('--model needs a model name, e.g. --model gpt-4o-mini.');
  // A spinner only on a terminal: a slow DNS or a stalled server can take up to --timeout.
  const progress = out.interactive ? await startProgress(ctx, out, 'verifying providers…') : undefined;
  let report;
  try {
    report = await verifyProviders(ctx, g, { providers: opts.provider, model: opts.model?.trim(), force: opts.force, timeoutMs });
  } finally {
    progress?.done();
  }
  renderVerify(report, out);
  if (ctx.signal.aborted) throw new Interrupted('interrupted: the checks above were cut short.');
  if (!report.ok) throw new SilentExit(3);
}
