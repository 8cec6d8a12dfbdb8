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
import { storedRoutes } from './stored.js';
import { embeddingsReply } from './embeddings.js';

export type { FaultRule, MockFault } from './faults.js';

interface MockLatency { ttftMs?: number; perTokenMs?: number; jitterMs?: number; seed?: number }
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
  /** Serve this many seeded stored completions on GET /v1/chat/completions (+ …/{id}/messages); 0 = none, answered 404 like a relay. */
  stored?: number;
  /** Keep at most this many entries in `requests` (a long-running CLI mock must not grow without bound); default unlimited. */
  logLimit?: number;
  /** Monotonic ms clock (default performance.now) and wall clock (for `created` and log times). */
  clock?: () => number;
  now?: () => number;
}
interface MockRequestLog { method: string; path: string; authorized: boolean; model?: string; stream?: boolean; at: number }
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

/** Everything a request needs, resolved once from the options. */
interface Sim {
  opts: MockOptions;
  key: string | undefined;
  label: string;
  models: string[];
  modelSet: Set<string>;
  modelObj(id: string): Record<string, unknown>;
  modelsBody: string;
  planOpts: { seed: number; variant: number; usageScale: number };
  jitterSeed: number;
  ttftMs: number;
  perTokenMs: number;
  jitterMs: number;
  now(): number;
  clock(): number;
  picker: FaultPicker;
  tl: Timeline;
  requests: MockRequestLog[];
  logLimit: number;
  idTag: string;
  /** Requests received so far. */
  count: number;
  jsonHeaders(id: string, limits?: string[]): string[];
  sseHeaders(id: string): string[];
  /** GET /v1/chat/completions[/{id}/messages] with --stored; undefined without. */
  stored?: (path: string, query: URLSearchParams) => { status: number; body: unknown };
}

function simulator(opts: MockOptions): Sim {
  const models = opts.models?.length ? opts.models : DEFAULT_MOCK_MODELS;
  const seed = (opts.seed ?? opts.latency?.seed ?? 0) >>> 0;
  const clock = opts.clock ?? (() => performance.now());
  const label = opts.label ?? 'holy-mock';
  const owner = opts.owner ?? 'holy-mock';
  const modelObj = (id: string) => ({ id, object: 'model', created: 1_700_000_000, owned_by: owner });
  // Headers that never change, built once; per-request only the request id is added.
  const base = ['x-holy-mock', label, 'openai-version', '2020-10-01'];
  const okLimits = E.rateLimitHeaders(499, 29_000, 1);
  const now = opts.now ?? (() => performance.timeOrigin + performance.now());
  return {
    opts,
    key: opts.key,
    label,
    models,
    modelSet: new Set(models),
    modelObj,
    modelsBody: JSON.stringify({ object: 'list', data: models.map(modelObj) }),
    planOpts: { seed, variant: Math.min(1, Math.max(0, opts.variant ?? 0)), usageScale: opts.usageScale ?? 1 },
    jitterSeed: (opts.latency?.seed ?? seed) >>> 0,
    ttftMs: Math.max(0, opts.latency?.ttftMs ?? 0),
    perTokenMs: Math.max(0, opts.latency?.perTokenMs ?? 0),
    jitterMs: Math.max(0, opts.latency?.jitterMs ?? 0),
    clock,
    now,
    picker: new FaultPicker(opts.faults ?? [], seed),
    tl: { clock, timers: new Set() },
    requests: [],
    logLimit: opts.logLimit ?? Infinity,
    idTag: (mix(seed, 0x1234) % 0xffffff).toString(16).padStart(6, '0'),
    count: 0,
    jsonHeaders: (id, limits = okLimits) => ['content-type', 'application/json', 'x-request-id', id, ...base, ...limits],
    sseHeaders: (id) => ['content-type', 'text/event-stream; charset=utf-8', 'cache-control', 'no-cache', 'x-request-id', id, ...base, ...okLimits],
    // Created one minute apart, the newest a minute before the simulator started.
    ...(opts.stored ? { stored: storedRoutes(opts.stored, seed, models, Math.floor(now() / 60_000) * 60 - 60) } : {}),
  };
}

function log(s: Sim, entry: MockRequestLog): void {
  if (s.requests.length >= s.logLimit) s.requests.splice(0, Math.max(1, s.requests.length >> 1));
  s.requests.push(entry);
}

/** An error (or other fixed) JSON reply; `limits` replaces the usual x-ratelimit-* headers. */
function send(s: Sim, res: ServerResponse, id: string, status: number, body: string, limits?: string[]): void {
  sendBody(s.tl, res, status, s.jsonHeaders(id, limits), body);
}

/** A fault that answers at once (an error status, a reset…); true when it did. */
function immediate(s: Sim, res: ServerResponse, id: string, f: MockFault, model: string): boolean {
  return faultReply(s.tl, res, f, model, (limits) => s.jsonHeaders(id, limits), ['x-request-id', id, 'x-holy-mock', s.label]);
}

/** Answer a body that is not a chat request object (as OpenAI words it); true when it did. */
function rejectChat(s: Sim, res: ServerResponse, id: string, b: MockChatBody): boolean {
  const bad = (status: number, body: string) => (send(s, res, id, status, body), true);
  if (!b || typeof b !== 'object' || Array.isArray(b)) return bad(400, E.errorBody('The request body must be a JSON object.', 'invalid_request_error'));
  if (typeof b.model !== 'string' || !b.model) return bad(400, E.errorBody('you must provide a model parameter', 'invalid_request_error', null, 'model'));
  return false;
}

/** POST /v1/chat/completions: validate, pick a fault, then answer on the latency timeline. */
function chat(s: Sim, res: ServerResponse, id: string, t0: number, text: string, entry: MockRequestLog): void {
  let b: MockChatBody;
  try {
    b = JSON.parse(text);
  } catch {
    return send(s, res, id, 400, E.errorBody("We could not parse the JSON body of your request. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. (holy mock)", 'invalid_request_error'));
  }
  if (rejectChat(s, res, id, b)) return;
  entry.model = b.model;
  entry.stream = b.stream === true;
  if (!Array.isArray(b.messages)) return send(s, res, id, 400, E.errorBody("Missing required parameter: 'messages'.", 'invalid_request_error', 'missing_required_parameter', 'messages'));
  if (b.messages.length === 0) return send(s, res, id, 400, E.errorBody("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'invalid_request_error', 'empty_array', 'messages'));
  const mt = b.max_completion_tokens ?? b.max_tokens;
  if (mt != null && !(Number.isInteger(mt) && mt >= 1)) {
    const p = b.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
    return send(s, res, id, 400, E.errorBody(`Invalid '${p}': expected an integer of at least 1, but got ${JSON.stringify(mt)} instead.`, 'invalid_request_error', 'integer_below_min_value', p));
  }
  if (!s.modelSet.has(b.model)) return send(s, res, id, 404, E.modelNotFoundBody(b.model));
  const fault = s.picker.pick('chat', entry.stream);
  if (fault && immediate(s, res, id, fault, b.model)) return;
  // A 'headers' stall holds back every byte, then the response runs its normal timeline from there.
  if (fault?.kind === 'stall' && fault.phase !== 'body') at(s.tl, res, t0 + fault.ms, () => answer(s, res, id, b, mt ?? undefined, fault, entry.stream === true, t0 + fault.ms));
  else answer(s, res, id, b, mt ?? undefined, fault, entry.stream === true, t0);
}

/** The completion itself, streamed or whole, from `start` on the timeline. */
function answer(s: Sim, res: ServerResponse, id: string, b: MockChatBody, maxTokens: number | undefined, fault: MockFault | undefined, stream: boolean, start: number): void {
  const plan = planCompletion(b, s.planOpts, maxTokens);
  const created = Math.floor(s.now() / 1000);
  const model = s.opts.echoModel ?? b.model;
  const cid = 'chatcmpl-' + id.slice(4);
  const rest = fault && fault.kind !== 'stall' ? fault : fault?.phase === 'body' ? fault : undefined;
  if (stream) {
    const includeUsage = b.stream_options?.include_usage === true && !s.opts.ignoreIncludeUsage;
    const random = s.jitterMs > 0 ? rng(mix(s.jitterSeed ^ plan.hash, s.count)) : Math.random;
    sendStream(s.tl, res, s.sseHeaders(id), streamEvents(plan, cid, created, model, includeUsage), { t0: start, ttftMs: s.ttftMs, perTokenMs: s.perTokenMs, jitterMs: s.jitterMs, random }, rest);
  } else {
    const r = s.jitterMs > 0 ? rng(mix(s.jitterSeed ^ plan.hash, s.count))() * s.jitterMs : 0;
    const due = start + s.ttftMs + Math.max(0, plan.pieces.length - 1) * s.perTokenMs + r;
    at(s.tl, res, due, () => sendBody(s.tl, res, 200, s.jsonHeaders(id), completionBody(plan, cid, created, model), rest));
  }
}

/** POST /v1/embeddings: a vector per input from (model, text); faults and --ttft apply as for chat. */
function embed(s: Sim, res: ServerResponse, id: string, t0: number, text: string, entry: MockRequestLog): void {
  let b: Record<string, unknown>;
  try {
    b = JSON.parse(text);
  } catch {
    return send(s, res, id, 400, E.errorBody('We could not parse the JSON body of your request. (holy mock)', 'invalid_request_error'));
  }
  if (!b || typeof b !== 'object' || Array.isArray(b)) return send(s, res, id, 400, E.errorBody('The request body must be a JSON object.', 'invalid_request_error'));
  if (typeof b.model === 'string') entry.model = b.model;
  const fault = s.picker.pick('chat', false);
  if (fault && immediate(s, res, id, fault, String(b.model))) return;
  const r = embeddingsReply(b, { ...s.planOpts, ...(s.opts.echoModel ? { echoModel: s.opts.echoModel } : {}) });
  if ('status' in r) return send(s, res, id, r.status, E.errorBody(r.message, 'invalid_request_error', null, r.param));
  at(s.tl, res, t0 + s.ttftMs, () => sendBody(s.tl, res, 200, s.jsonHeaders(id), r.body, fault?.kind === 'stall' || fault?.kind === 'reset' ? fault : undefined));
}

/** GET /v1/models and /v1/models/ID. */
function listing(s: Sim, res: ServerResponse, id: string, t0: number, path: string): void {
  const fault = s.picker.pick('models', false);
  if (fault && immediate(s, res, id, fault, 'the models endpoint')) return;
  const m = path === '/v1/models' ? undefined : modelId(path);
  const b = m === undefined ? s.modelsBody : s.modelSet.has(m) ? JSON.stringify(s.modelObj(m)) : undefined;
  const reply = () => (b === undefined ? send(s, res, id, 404, E.modelNotFoundBody(modelId(path))) : sendBody(s.tl, res, 200, s.jsonHeaders(id), b, fault));
  if (fault?.kind === 'stall' && fault.phase !== 'body') at(s.tl, res, t0 + fault.ms, reply);
  else reply();
}

/** Route one request: auth, then models, chat or 404. */
function handle(s: Sim, req: IncomingMessage, res: ServerResponse): void {
  const t0 = s.clock();
  const n = ++s.count;
  const id = `req_${s.idTag}${n.toString(16).padStart(10, '0')}`;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const method = req.method ?? 'GET';
  const isEmbeddings = path === '/v1/embeddings' && method === 'POST';
  const isChat = (path === '/v1/chat/completions' || isEmbeddings) && method === 'POST';
  const isModels = method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'));
  const isStored = method === 'GET' && !!s.stored && path.startsWith('/v1/chat/completions');
  let authorized = s.key === undefined;
  if (s.key !== undefined) {
    const h = req.headers.authorization;
    authorized = h === `Bearer ${s.key}`;
    if (!authorized && (isChat || isModels || isStored)) {
      req.resume();
      log(s, { method, path, authorized, at: s.now() });
      const token = h?.replace(/^Bearer\s+/i, '');
      return send(s, res, id, 401, token ? E.wrongKeyBody(maskKey(token)) : E.missingKeyBody());
    }
  }
  const entry: MockRequestLog = { method, path, authorized, at: s.now() };
  log(s, entry);
  if (isStored) {
    req.resume();
    const r = s.stored!(path, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
    return send(s, res, id, r.status, JSON.stringify(r.body));
  }
  if (!isChat) {
    req.resume();
    return isModels ? listing(s, res, id, t0, path) : send(s, res, id, 404, E.invalidUrlBody(method, path));
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= BODY_LIMIT) chunks.push(c);
  });
  req.on('end', () => {
    if (size > BODY_LIMIT) return send(s, res, id, 413, E.errorBody(`Request body too large: ${size} bytes (limit ${BODY_LIMIT}).`, 'invalid_request_error'));
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    (isEmbeddings ? embed : chat)(s, res, id, t0, text, entry);
  });
}

/** Start the simulator; resolves once it listens. Responses are deterministic in (request, seed, variant). */
export async function startMock(opts: MockOptions = {}): Promise<MockServer> {
  const host = (opts.host ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  if (!isLoopback(host)) throw new UsageError(`host ${JSON.stringify(host)} is not a loopback address; holy mock only binds 127.0.0.1, ::1 or localhost, so use one of those.`);
  const s = simulator(opts);
  const server = createServer({ noDelay: true, keepAliveTimeout: 10_000 }, (req, res) => handle(s, req, res));
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
    requests: s.requests,
    get served() {
      return s.count;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const t of s.tl.timers) clearTimeout(t);
        s.tl.timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
