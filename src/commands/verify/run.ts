/** `holy verify` handler: options → verifyProviders → render → exit 3 when any check failed. */
import { Interrupted, SilentExit, UsageError } from '../../errors.js';
import { timeoutFlag } from '../../core/flags.js';
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

export default async function verify({ ctx, out, g, opts }: Invocation<VerifyFlags>): Promise<void> {
  const timeoutMs = timeoutFlag(opts.timeout);
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
