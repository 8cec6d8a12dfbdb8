/** OpenAI's error body, {"error":{"message","type","param","code"}}, so the SDKs raise their usual classes. */
import type { ServerResponse } from 'node:http';

export interface ApiError {
  status: number;
  message: string;
  type: string;
  code: string | null;
  param?: string | null;
  /** Seconds, for 429s (Retry-After). */
  retryAfterS?: number;
}

export function errorBody(e: Pick<ApiError, 'message' | 'type' | 'code' | 'param'>): string {
  return JSON.stringify({ error: { message: e.message, type: e.type, param: e.param ?? null, code: e.code } });
}

/** Answer with an error; `headers` (request id, rate-limit headers…) are added. */
export function sendError(res: ServerResponse, e: ApiError, headers: Record<string, string> = {}, close = false): void {
  if (res.headersSent || res.destroyed) {
    if (!res.writableEnded) res.end();
    return;
  }
  const body = errorBody(e);
  const h: Record<string, string | number> = { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (e.retryAfterS !== undefined) h['retry-after'] = String(Math.max(1, Math.ceil(e.retryAfterS)));
  if (close) h.connection = 'close';
  res.writeHead(e.status, h);
  res.end(body);
}

export const E = {
  invalidKey: (): ApiError => ({
    status: 401,
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'Incorrect API key provided. Use a tenant key made by `holy gateway keys add TENANT` (hk-…) as the Bearer token.',
  }),
  notFound: (path: string): ApiError => ({ status: 404, type: 'invalid_request_error', code: 'unknown_url', message: `Unknown request URL: ${path}. The gateway serves POST /v1/chat/completions, POST /v1/embeddings, GET /v1/models, GET /healthz and GET /metrics.` }),
  method: (method: string, path: string, allowed: string): ApiError => ({ status: 405, type: 'invalid_request_error', code: 'method_not_allowed', message: `${method} is not allowed on ${path}; use ${allowed}.` }),
  badJson: (why: string): ApiError => ({ status: 400, type: 'invalid_request_error', code: 'invalid_json', message: `The request body is not valid JSON (${why}); send a JSON object.` }),
  badRequest: (message: string, param: string | null, code = 'invalid_request'): ApiError => ({ status: 400, type: 'invalid_request_error', code, param, message }),
  tooLarge: (max: number): ApiError => ({ status: 413, type: 'invalid_request_error', code: 'request_too_large', message: `The request body is larger than the gateway's limit of ${max} bytes (--max-body).` }),
  modelNotAllowed: (model: string, plan: string): ApiError => ({ status: 403, type: 'invalid_request_error', code: 'model_not_allowed', param: 'model', message: `The model ${model} is not allowed on plan ${plan}; ask for one of the plan's models (GET /v1/models lists them).` }),
  toolNotAllowed: (tool: string, plan: string): ApiError => ({ status: 403, type: 'invalid_request_error', code: 'tool_not_allowed', param: 'tools', message: `The tool ${tool} is not allowed on plan ${plan}; remove it from the request or move the tenant to a plan that allows it.` }),
  maxTokens: (field: string, asked: number, cap: number, plan: string): ApiError => ({ status: 400, type: 'invalid_request_error', code: 'max_tokens_exceeded', param: field, message: `${field} ${asked} is above plan ${plan}'s cap of ${cap}; ask for at most ${cap}.` }),
  rateLimited: (limit: 'requests' | 'tokens' | undefined, retryAfterS: number | undefined): ApiError => ({
    status: 429,
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: `Rate limit reached on ${limit === 'tokens' ? 'tokens' : 'requests'} per min for this tenant. Please try again in ${Math.max(1, Math.ceil(retryAfterS ?? 1))}s.`,
    retryAfterS: retryAfterS ?? 1,
  }),
  queueTimeout: (waitedMs: number): ApiError => ({ status: 429, type: 'requests', code: 'queue_timeout', message: `The provider is at capacity and this request waited ${Math.round(waitedMs)} ms in the queue without a free slot; retry later.`, retryAfterS: 1 }),
  upstream: (status: number, message: string): ApiError => ({ status, type: 'upstream_error', code: status === 504 ? 'upstream_timeout' : 'upstream_error', message }),
  storeDown: (): ApiError => ({ status: 503, type: 'server_error', code: 'store_unavailable', message: 'The gateway cannot reach its shared store, and storeDown is "closed"; retry shortly.', retryAfterS: 1 }),
  internal: (): ApiError => ({ status: 500, type: 'server_error', code: 'internal_error', message: 'The gateway failed on this request; the log has the details.' }),
  shuttingDown: (): ApiError => ({ status: 503, type: 'server_error', code: 'shutting_down', message: 'The gateway is shutting down; retry on another replica or in a moment.', retryAfterS: 1 }),
};
