/** startMock: a local OpenAI-compatible provider simulator on loopback, built on node:http for near-zero overhead. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RuntimeError, UsageError } from '../errors.js';
import { maskKey } from '../core/redact.js';
import { isLoopback } from '../core/loopback.js';
import { FaultPicker, type FaultRule, type MockFault } from './faults.js';
import { completionBody, planCompletion, streamEvents, type MockChatBody } from './completion.js';
import { at, faultReply, sendBody, sendStream, type Timeline } from './respond.js';
import * as E from './errors.js';
import { mix, rng } from './rng.js';

export type { FaultRule, MockFault } from './faults.js';

export interface MockLatency { ttftMs?: number; perTokenMs?: number; jitterMs?: number; seed?: number }
export interface MockOptions {
  host?: string;
  port?: number;
  key?: string;
  models?: string[];
  owner?: string;
  latency?: MockLatency;
  faults?: FaultRule[];
  seed?: number;
  variant?: number;
  usageScale?: number;
  echoModel?: string;
  ignoreIncludeUsage?: boolean;
  label?: string;
  /** Keep at most this many entries in `requests` (a long-running CLI mock must not grow without bound); default unlimited. */
  logLimit?: number;
  /** Monotonic ms clock (default performance.now) and wall clock (for `created` and log times). */
  clock?: () => number;
  now?: () => number;
}
export interface MockRequestLog { method: string; path: string; authorized: boolean; model?: string; stream?: boolean; at: number }
export interface MockServer {
  url: string;
  port: number;
  requests: MockRequestLog[];
  /** Requests received so far (the log may be capped by logLimit; this is not). */
  readonly served: number;
  close(): Promise<void>;
}

export const DEFAULT_MOCK_MODELS = ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4.5', 'gemini-2.5-flash', 'deepseek-v3.2'];
const BODY_LIMIT = 32 * 1024 * 1024;

function modelId(path: string): string {
  const raw = path.slice('/v1/models/'.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Start the simulator; resolves once it listens. Responses are deterministic in (request, seed, variant). */
export async function startMock(opts: MockOptions = {}): Promise<MockServer> {
  const host = (opts.host ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  if (!isLoopback(host)) throw new UsageError(`host ${JSON.stringify(host)} is not a loopback address; holy mock only binds 127.0.0.1, ::1 or localhost, so use one of those.`);
  const models = opts.models?.length ? opts.models : DEFAULT_MOCK_MODELS;
  const modelSet = new Set(models);
  const seed = (opts.seed ?? opts.latency?.seed ?? 0) >>> 0;
  const jitterSeed = (opts.latency?.seed ?? seed) >>> 0;
  const ttftMs = Math.max(0, opts.latency?.ttftMs ?? 0);
  const perTokenMs = Math.max(0, opts.latency?.perTokenMs ?? 0);
  const jitterMs = Math.max(0, opts.latency?.jitterMs ?? 0);
  const planOpts = { seed, variant: Math.min(1, Math.max(0, opts.variant ?? 0)), usageScale: opts.usageScale ?? 1 };
  const label = opts.label ?? 'holy-mock';
  const key = opts.key;
  const clock = opts.clock ?? (() => performance.now());
  const now = opts.now ?? (() => performance.timeOrigin + performance.now());
  const logLimit = opts.logLimit ?? Infinity;
  const picker = new FaultPicker(opts.faults ?? [], seed);
  const tl: Timeline = { clock, timers: new Set() };
  const requests: MockRequestLog[] = [];
  const owner = opts.owner ?? 'holy-mock';
  const modelObj = (id: string) => ({ id, object: 'model', created: 1_700_000_000, owned_by: owner });
  const modelsBody = JSON.stringify({ object: 'list', data: models.map(modelObj) });
  // Headers that never change, built once; per-request only the request id is added.
  const base = ['x-holy-mock', label, 'openai-version', '2020-10-01'];
  const okLimits = E.rateLimitHeaders(499, 29_000, 1);
  const jsonHeaders = (id: string, limits = okLimits) => ['content-type', 'application/json', 'x-request-id', id, ...base, ...limits];
  const sseHeaders = (id: string) => ['content-type', 'text/event-stream; charset=utf-8', 'cache-control', 'no-cache', 'x-request-id', id, ...base, ...okLimits];
  const idTag = (mix(seed, 0x1234) % 0xffffff).toString(16).padStart(6, '0');
  let count = 0;

  const log = (entry: MockRequestLog) => {
    if (requests.length >= logLimit) requests.splice(0, Math.max(1, requests.length >> 1));
    requests.push(entry);
  };
  /** An error (or other fixed) JSON reply; `limits` replaces the usual x-ratelimit-* headers. */
  const send = (res: ServerResponse, id: string, status: number, body: string, limits?: string[]) => sendBody(tl, res, status, jsonHeaders(id, limits), body);

  const immediate = (res: ServerResponse, id: string, f: MockFault, model: string) => faultReply(tl, res, f, model, (limits) => jsonHeaders(id, limits), ['x-request-id', id, 'x-holy-mock', label]);

  const chat = (res: ServerResponse, id: string, t0: number, text: string, entry: MockRequestLog) => {
    let b: MockChatBody;
    try {
      b = JSON.parse(text);
    } catch {
      return send(res, id, 400, E.errorBody("We could not parse the JSON body of your request. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. (holy mock)", 'invalid_request_error'));
    }
    if (!b || typeof b !== 'object' || Array.isArray(b)) return send(res, id, 400, E.errorBody('The request body must be a JSON object.', 'invalid_request_error'));
    if (typeof b.model !== 'string' || !b.model) return send(res, id, 400, E.errorBody('you must provide a model parameter', 'invalid_request_error', null, 'model'));
    entry.model = b.model;
    entry.stream = b.stream === true;
    if (!Array.isArray(b.messages)) return send(res, id, 400, E.errorBody("Missing required parameter: 'messages'.", 'invalid_request_error', 'missing_required_parameter', 'messages'));
    if (b.messages.length === 0) return send(res, id, 400, E.errorBody("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'invalid_request_error', 'empty_array', 'messages'));
    const mt = b.max_completion_tokens ?? b.max_tokens;
    if (mt != null && !(Number.isInteger(mt) && mt >= 1)) {
      const p = b.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
      return send(res, id, 400, E.errorBody(`Invalid '${p}': expected an integer of at least 1, but got ${JSON.stringify(mt)} instead.`, 'invalid_request_error', 'integer_below_min_value', p));
    }
    if (!modelSet.has(b.model)) return send(res, id, 404, E.modelNotFoundBody(b.model));
    const fault = picker.pick('chat', entry.stream);
    if (fault && immediate(res, id, fault, b.model)) return;
    const go = (start: number) => {
      const plan = planCompletion(b, planOpts, mt ?? undefined);
      const created = Math.floor(now() / 1000);
      const model = opts.echoModel ?? b.model;
      const cid = 'chatcmpl-' + id.slice(4);
      const rest = fault && fault.kind !== 'stall' ? fault : fault?.phase === 'body' ? fault : undefined;
      if (entry.stream) {
        const includeUsage = b.stream_options?.include_usage === true && !opts.ignoreIncludeUsage;
        const random = jitterMs > 0 ? rng(mix(jitterSeed ^ plan.hash, count)) : Math.random;
        sendStream(tl, res, sseHeaders(id), streamEvents(plan, cid, created, model, includeUsage), { t0: start, ttftMs, perTokenMs, jitterMs, random }, rest);
      } else {
        const r = jitterMs > 0 ? rng(mix(jitterSeed ^ plan.hash, count))() * jitterMs : 0;
        const due = start + ttftMs + Math.max(0, plan.pieces.length - 1) * perTokenMs + r;
        at(tl, res, due, () => sendBody(tl, res, 200, jsonHeaders(id), completionBody(plan, cid, created, model), rest));
      }
    };
    // A 'headers' stall holds back every byte, then the response runs its normal timeline from there.
    if (fault?.kind === 'stall' && fault.phase !== 'body') at(tl, res, t0 + fault.ms, () => go(t0 + fault.ms));
    else go(t0);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const t0 = clock();
    const n = ++count;
    const id = `req_${idTag}${n.toString(16).padStart(10, '0')}`;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const isChat = path === '/v1/chat/completions' && method === 'POST';
    const isModels = method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'));
    let authorized = key === undefined;
    if (key !== undefined) {
      const h = req.headers.authorization;
      authorized = h === `Bearer ${key}`;
      if (!authorized && (isChat || isModels)) {
        req.resume();
        log({ method, path, authorized, at: now() });
        const token = h?.replace(/^Bearer\s+/i, '');
        return send(res, id, 401, token ? E.wrongKeyBody(maskKey(token)) : E.missingKeyBody());
      }
    }
    const entry: MockRequestLog = { method, path, authorized, at: now() };
    log(entry);
    if (isModels) {
      req.resume();
      const fault = picker.pick('models', false);
      if (fault && immediate(res, id, fault, 'the models endpoint')) return;
      const body = () => {
        if (path === '/v1/models') return modelsBody;
        const m = modelId(path);
        return modelSet.has(m) ? JSON.stringify(modelObj(m)) : undefined;
      };
      const b = body();
      const reply = () => (b === undefined ? send(res, id, 404, E.modelNotFoundBody(modelId(path))) : sendBody(tl, res, 200, jsonHeaders(id), b, fault));
      if (fault?.kind === 'stall' && fault.phase !== 'body') at(tl, res, t0 + fault.ms, reply);
      else reply();
      return;
    }
    if (!isChat) {
      req.resume();
      return send(res, id, 404, E.invalidUrlBody(method, path));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= BODY_LIMIT) chunks.push(c);
    });
    req.on('end', () => {
      if (size > BODY_LIMIT) return send(res, id, 413, E.errorBody(`Request body too large: ${size} bytes (limit ${BODY_LIMIT}).`, 'invalid_request_error'));
      chat(res, id, t0, chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'), entry);
    });
  };

  const server = createServer({ noDelay: true, keepAliveTimeout: 10_000 }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new UsageError(`port ${opts.port} on ${host} is already in use; pick another --port, or 0 for a free one.`)
          : new RuntimeError(`the mock could not listen on ${host}:${opts.port ?? 0} (${e.code ?? e.message}).`, undefined, e),
      ),
    );
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const h = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${h}:${port}/v1`,
    port,
    requests,
    get served() {
      return count;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const t of tl.timers) clearTimeout(t);
        tl.timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
