/** OpenAI-shaped error bodies and headers, prebuilt where they never vary. */

/** {"error": {message, type, param, code}} as OpenAI sends it. */
export function errorBody(message: string, type: string, code: string | null = null, param: string | null = null): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

/** Default message/type/code for a status, modelled on what OpenAI returns for it. */
export function statusError(status: number, code?: string, type?: string, message?: string): string {
  const d = STATUS_DEFAULTS[status] ?? (status >= 500 ? STATUS_DEFAULTS[500]! : { type: 'invalid_request_error', code: null, message: `Simulated error with status ${status}.` });
  return errorBody(message ?? d.message, type ?? d.type, code ?? d.code);
}

const STATUS_DEFAULTS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Simulated bad request.' },
  401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.' },
  403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory', message: 'Country, region, or territory not supported' },
  404: { type: 'invalid_request_error', code: null, message: 'Simulated not found.' },
  408: { type: 'timeout', code: null, message: 'Request timed out.' },
  409: { type: 'invalid_request_error', code: null, message: 'Simulated conflict.' },
  422: { type: 'invalid_request_error', code: null, message: 'Simulated unprocessable entity.' },
  429: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached (simulated).' },
  500: { type: 'server_error', code: null, message: 'The server had an error while processing your request. Sorry about that!' },
  502: { type: 'server_error', code: null, message: 'Bad gateway.' },
  503: { type: 'server_error', code: 'service_unavailable', message: 'The engine is currently overloaded, please try again later.' },
  504: { type: 'server_error', code: null, message: 'Gateway timeout.' },
};

export function missingKeyBody(): string {
  return errorBody(
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). (holy mock)",
    'invalid_request_error',
    'invalid_api_key',
  );
}

/** 401 for a wrong key; the key is masked exactly as OpenAI does (never echoed whole). */
export function wrongKeyBody(masked: string): string {
  return errorBody(`Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key');
}

export function modelNotFoundBody(model: string): string {
  return errorBody(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found', 'model');
}

export function invalidUrlBody(method: string, path: string): string {
  return errorBody(`Invalid URL (${method} ${path})`, 'invalid_request_error');
}

export function rateLimitBody(model: string, retryAfterS: number): string {
  return errorBody(
    `Rate limit reached for ${model} in organization org-holymock on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in ${retryAfterS}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
    'requests',
    'rate_limit_exceeded',
  );
}

/** x-ratelimit-* headers as OpenAI sends them (limits, what is left, and when it resets). */
export function rateLimitHeaders(remainingRequests: number, remainingTokens: number, resetS: number): string[] {
  return [
    'x-ratelimit-limit-requests', '500',
    'x-ratelimit-remaining-requests', String(remainingRequests),
    'x-ratelimit-reset-requests', `${resetS}s`,
    'x-ratelimit-limit-tokens', '30000',
    'x-ratelimit-remaining-tokens', String(remainingTokens),
    'x-ratelimit-reset-tokens', `${resetS}s`,
  ];
}

export const QUOTA_BODY = errorBody(
  'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
  'insufficient_quota',
  'insufficient_quota',
);

export const IN_STREAM_ERROR = errorBody('The server had an error while processing your request. Sorry about that! (simulated in-stream error)', 'server_error');

export function htmlPage(status: number): string {
  const title = `${status} ${status === 502 ? 'Bad Gateway' : status === 503 ? 'Service Temporarily Unavailable' : status === 504 ? 'Gateway Time-out' : status === 200 ? 'OK' : 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx (holy mock: simulated HTML error page)</center>\r\n</body>\r\n</html>\r\n`;
}
