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
import { asPage, getJson, StoredApiError, type StoredApiOptions } from '../../adapters/provider/index.js';
import { printable } from '../../core/traffic/printable.js';
import { AppendLines, readPullFile } from '../../adapters/traffic/pull-file.js';
import type { PullQuery } from '../../core/traffic/meta.js';
import { inWindow, REBUILT, rebuildRequest, storedResponse, type StoredCompletion, type StoredMessage } from '../../core/traffic/stored.js';
import { recordedLine } from '../../core/traffic/line.js';
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

const ID = /^[A-Za-z0-9_.:-]{1,200}$/;

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
  // The file is opened once the provider has answered with a list: a relay's 404 leaves nothing behind.
  let file: AppendLines | undefined;
  const ids = state?.ids ?? new Set<string>();
  let inFile = state?.count ?? 0;
  let pulled = 0;
  const skipped: Record<string, number> = {};
  const skip = (why: string) => void (skipped[why] = (skipped[why] ?? 0) + 1);
  const t0 = ctx.clock();
  const seen = () => pulled + Object.values(skipped).reduce((a, b) => a + b, 0);
  const rate = () => seen() / Math.max(1e-3, (ctx.clock() - t0) / 1000);
  let stoppedBy: PullResult['stoppedBy'] = 'end';
  let failed: unknown;
  try {
    let after = state?.lastId;
    let first = true;
    pages: for (;;) {
      const q: Array<[string, string]> = [['limit', String(o.pageSize)], ['order', 'desc']];
      if (o.model) q.push(['model', o.model]);
      for (const [k, v] of Object.entries(o.metadata)) q.push([`metadata[${k}]`, v]);
      if (after) q.push(['after', after]);
      let doc: unknown;
      try {
        doc = await getJson(api, '/chat/completions', q);
      } catch (e) {
        if (first && e instanceof StoredApiError && e.status !== 0 && !ctx.signal.aborted) refuse(e, p.name, api.baseURL);
        throw e;
      }
      const page = asPage<StoredCompletion>(doc);
      if (!page) {
        if (first) throw new UsageError(`${p.name} (${api.baseURL}) answered GET /chat/completions, but not with a list of stored completions; relays do not keep your completions, so pull from --provider official.`);
        throw new RuntimeError(`${p.name} answered a page of stored completions that is not a list; the ${inFile} completions pulled so far are in ${o.out}: run the same command again to resume.`);
      }
      if (first) {
        file = await AppendLines.open(path, o.out, state ? 'append' : o.restart ? 'replace' : 'new');
        if (!state) await file.meta({ kind: 'traffic-pull', version: 1, query, order: 'desc', startedAt: new Date(ctx.now()).toISOString(), rebuilt: { ...REBUILT } });
      }
      first = false;
      const listed = page.data.filter((c) => c && typeof c === 'object');
      // Near --limit, only as many completions as could still be written have their messages fetched.
      const batch = listed.slice(0, Math.min(listed.length, limit - inFile));
      // Fetch the messages of a page's completions a few at a time, then write them in list order.
      const rows = await pool(batch, 4, (c) => one(api, c, ids, o, skip));
      for (const [i, r] of rows.entries()) {
        const c = batch[i]!;
        if (r === 'since') {
          stoppedBy = 'since';
          break pages;
        }
        if (r === undefined) continue;
        await file!.write(JSON.stringify(recordedLine({ ...r, provider: p.name, file: o.out, line: inFile + 2, pair: inFile }, c.metadata && typeof c.metadata === 'object' ? { metadata: c.metadata } : {})));
        ids.add(r.id);
        inFile++;
        pulled++;
        if (inFile >= limit) {
          stoppedBy = 'limit';
          break pages;
        }
      }
      progress.update(`pulled ${pulled}${base.resumedFrom ? ` (+${base.resumedFrom} from before)` : ''} · skipped ${seen() - pulled} · ${rate().toFixed(1)}/s`);
      const cut = batch.length < listed.length;
      const tail = batch[batch.length - 1]?.id;
      const last = cut ? tail : (page.lastId ?? tail);
      if ((!page.hasMore && !cut) || typeof last !== 'string' || ctx.signal.aborted) break;
      after = last;
    }
    // A pull stopped by --limit is not finished: the same command with a higher --limit continues it.
    if (!ctx.signal.aborted && stoppedBy !== 'limit') await file!.meta({ kind: 'traffic-pull-end', pulled: inFile, skipped, finishedAt: new Date(ctx.now()).toISOString() });
  } catch (e) {
    failed = e;
  } finally {
    progress.done();
    await file?.close();
    await http.close();
  }
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

type Row = { id: string; at: number; request: Record<string, unknown> & { model: string }; response: { status: number; body: unknown } };

/** One listed completion → the row to write, undefined when skipped (and counted), or 'since' at the window's end. */
async function one(api: StoredApiOptions, c: StoredCompletion, ids: Set<string>, o: PullOptions, skip: (why: string) => void): Promise<Row | 'since' | undefined> {
  if (typeof c.id !== 'string' || !ID.test(c.id)) return void skip('malformed id');
  const w = inWindow(typeof c.created === 'number' ? c.created : undefined, o.since?.ms, o.until?.ms);
  if (w === 'before') return 'since';
  if (w === 'after') return void skip('created after --until');
  if (ids.has(c.id)) return void skip('already in the file');
  const messages: StoredMessage[] = [];
  let after: string | undefined;
  for (;;) {
    let doc: unknown;
    try {
      doc = await getJson(api, `/chat/completions/${encodeURIComponent(c.id)}/messages`, [['limit', '100'], ['order', 'asc'], ...(after ? [['after', after] as [string, string]] : [])]);
    } catch (e) {
      if (e instanceof StoredApiError && e.status === 404) return void skip('messages not found (deleted?)');
      throw e;
    }
    const page = asPage<StoredMessage>(doc);
    if (!page) return void skip('messages list malformed');
    messages.push(...page.data);
    const last = page.lastId ?? (page.data[page.data.length - 1] as { id?: string } | undefined)?.id;
    if (!page.hasMore || !last || last === after) break;
    after = last;
  }
  const r = rebuildRequest(c, messages);
  if ('problem' in r) return void skip(r.problem);
  return { id: c.id, at: (typeof c.created === 'number' ? c.created : 0) * 1000, request: r.ok, response: { status: 200, body: storedResponse(c) } };
}

/** Map with at most `n` in flight, results in input order; a rejection stops the rest. */
async function pool<T, R>(xs: T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(xs.length);
  let next = 0;
  const worker = async () => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await f(xs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, xs.length) }, worker));
  return out;
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
