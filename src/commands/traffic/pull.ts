/** `holy traffic pull`: list stored completions page by page, fetch each one's input messages, append results lines. */
import { resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { CheckFailed, Interrupted, RuntimeError, UsageError } from '../../errors.js';
import type { Invocation } from '../kit.js';
import type { GlobalOpts, Out } from '../../ui/output.js';
import { loadProviders } from '../../adapters/profiles.js';
import { pickProfile } from '../../core/profiles.js';
import { checkKeyHost, keyHygiene } from '../../core/keys.js';
import { makeHttp } from '../../adapters/http.js';
import { StoredApiError, type StoredApiOptions } from '../../adapters/provider/index.js';
import { printable } from '../../core/traffic/printable.js';
import { readPullFile } from '../../adapters/traffic/pull-file.js';
import type { PullQuery } from '../../core/traffic/meta.js';
import { REBUILT } from '../../core/traffic/stored.js';
import { pullPages, type PullLoop } from './pull-loop.js';
import { startProgress } from '../../ui/progress.js';
import { parsePullOptions, type PullFlags, type PullOptions } from './pull-options.js';
import { renderPull } from './pull-render.js';

export interface PullResult {
  out: string;
  provider: string;
  /** Completions in the file now, and how many were there before this run. */
  inFile: number;
  resumedFrom: number;
  pulled: number;
  skipped: Record<string, number>;
  /** Why the pull stopped: the list ended, --limit, --since reached, or it was already complete. */
  stoppedBy: 'end' | 'limit' | 'since' | 'complete';
  /** Completions per second over this run (pulled and skipped). */
  ratePerS: number;
  droppedPartialLine: boolean;
  rebuilt: Record<string, string>;
}

function queryOf(o: PullOptions, provider: string, baseURL: string): PullQuery {
  const metadata = Object.fromEntries(Object.entries(o.metadata).sort(([a], [b]) => a.localeCompare(b)));
  return { provider, baseURL, model: o.model ?? null, metadata, since: o.since?.iso ?? null, until: o.until?.iso ?? null, limit: o.limit ?? null };
}

function sameQuery(a: PullQuery, b: PullQuery): boolean {
  const strip = (q: PullQuery) => JSON.stringify({ ...q, limit: null });
  return strip(a) === strip(b);
}

async function key(ctx: Ctx, g: GlobalOpts, o: PullOptions) {
  const prov = await loadProviders(ctx, g);
  const p = pickProfile(prov, o.provider ?? prov.old, '--provider');
  const k = await prov.key(p);
  if (!k.raw) throw new UsageError(`no key for provider ${p.name}: set ${p.apiKeyEnv ?? 'its key variable'} in the environment or an --env-file, or pass --key-file ${p.name}=PATH.`);
  const cleaned = keyHygiene(k.raw).cleaned;
  const v = checkKeyHost(cleaned, p.baseURL, p.keyPatterns);
  if (!v.ok && !o.force) throw new UsageError(`refusing to send: for provider ${p.name}, ${v.reason} (key from ${k.source}).`, `${v.fix}.`);
  return { p, key: cleaned };
}

/** The first list request decides whether this provider stores completions at all. */
function refuse(e: StoredApiError, name: string, baseURL: string): never {
  if (e.status === 404 || e.status === 405) {
    throw new UsageError(`${name} (${baseURL}) has no stored-completions endpoint (GET /chat/completions answered ${e.status}); relays do not keep your completions, so pull from the provider your app called with store: true, usually --provider official.`);
  }
  if (e.status === 401 || e.status === 403) throw new CheckFailed(`${name} refused the key for GET /chat/completions (HTTP ${e.status}: ${e.message}).`, 'check it with `holy verify`; listing stored completions needs a key with read access to Chat Completions.');
  throw new RuntimeError(`listing stored completions on ${name} failed: ${e.message}.`);
}

export async function run(o: PullOptions, ctx: Ctx, g: GlobalOpts, out: Out): Promise<PullResult> {
  const { p, key: apiKey } = await key(ctx, g, o);
  const path = resolve(ctx.cwd, o.out);
  const query = queryOf(o, p.name, p.baseURL.trim());
  const state = o.restart ? undefined : await readPullFile(path, o.out);
  const base: Omit<PullResult, 'inFile' | 'pulled' | 'skipped' | 'stoppedBy' | 'ratePerS'> = { out: o.out, provider: p.name, resumedFrom: state?.count ?? 0, droppedPartialLine: !!state?.droppedBytes, rebuilt: { ...REBUILT } };
  if (state && !sameQuery(state.header.query, query)) {
    throw new UsageError(`--out ${o.out} holds a pull with other filters (${describe(state.header.query)}); run it with those flags to resume, or add --restart to start over (the old file is kept as ${o.out}.bak).`);
  }
  if (state?.complete) return { ...base, inFile: state.count, pulled: 0, skipped: {}, stoppedBy: 'complete', ratePerS: 0 };
  const limit = o.limit ?? Infinity;
  if (state && state.count >= limit) return { ...base, inFile: state.count, pulled: 0, skipped: {}, stoppedBy: 'limit', ratePerS: 0 };

  const http = makeHttp(ctx, { connections: 8 });
  const progress = await startProgress(ctx, out, `pulling stored completions from ${p.name}…`, 2000);
  const api: StoredApiOptions = {
    dispatcher: http.dispatcher, baseURL: p.baseURL.trim(), key: apiKey, headers: p.headers, timeoutMs: o.timeoutMs ?? p.timeoutMs, signal: ctx.signal, now: ctx.now,
    onWait: (ms, why) => progress.update(`${why}: waiting ${(ms / 1000).toFixed(1)} s…`),
  };
  const t0 = ctx.clock();
  const loop: PullLoop = { ids: state?.ids ?? new Set<string>(), inFile: state?.count ?? 0, pulled: 0, skipped: {}, stoppedBy: 'end' };
  const seen = () => loop.pulled + Object.values(loop.skipped).reduce((a, b) => a + b, 0);
  const rate = () => seen() / Math.max(1e-3, (ctx.clock() - t0) / 1000);
  let failed: unknown;
  try {
    await pullPages(ctx, api, o, loop, {
      name: p.name, path, query, ...(state ? { state } : {}), limit,
      refuse: (e) => refuse(e, p.name, api.baseURL),
      onPage: () => progress.update(`pulled ${loop.pulled}${base.resumedFrom ? ` (+${base.resumedFrom} from before)` : ''} · skipped ${seen() - loop.pulled} · ${rate().toFixed(1)}/s`),
    });
  } catch (e) {
    failed = e;
  } finally {
    progress.done();
    await loop.file?.close();
    await http.close();
  }
  const { file, inFile, pulled, skipped, stoppedBy } = loop;
  if (ctx.signal.aborted || (failed instanceof StoredApiError && failed.message === 'interrupted')) {
    throw new Interrupted(file ? `interrupted: ${inFile} completion(s) are in ${o.out}; run the same command again to resume.` : 'interrupted before the first page arrived; nothing was written.');
  }
  if (failed instanceof StoredApiError) {
    if (!file) throw new RuntimeError(`listing stored completions on ${p.name} failed: ${failed.message}; nothing was written.`, 'check the connection with `holy verify`.');
    throw new RuntimeError(`${failed.message}; the ${inFile} completion(s) pulled so far are in ${o.out}: run the same command again to resume.`);
  }
  if (failed) throw failed;
  return { ...base, inFile, pulled, skipped, stoppedBy, ratePerS: rate() };
}

function describe(q: PullQuery): string {
  const parts = [`--provider ${q.provider}`];
  if (q.model) parts.push(`--model ${q.model}`);
  for (const [k, v] of Object.entries(q.metadata)) parts.push(`--metadata ${k}=${v}`);
  if (q.since) parts.push(`--since ${q.since}`);
  if (q.until) parts.push(`--until ${q.until}`);
  return printable(parts.join(' '));
}

export default async function pull(inv: Invocation<PullFlags>): Promise<void> {
  const o = parsePullOptions(inv.opts);
  const r = await run(o, inv.ctx, inv.g, inv.out);
  renderPull(r, inv.out);
}
