/**
 * One hostile OpenAI-compatible server on 127.0.0.1 (port 0). The first path segment picks the attack:
 *   /echo/v1/…  200s that echo the caller's key (whole, without prefix, and in pieces) into x-request-id,
 *               x-ratelimit-* headers, /models ids and owned_by, completion model and content, with
 *               terminal escapes (OSC title, clear screen), C1 controls and bidi overrides;
 *   /err/v1/…   429s whose error.code/type/message and headers carry the key and escapes;
 *   /huge/v1/…  endless bodies (JSON, SSE and /models) that never end on their own;
 *   /deep/v1/…  valid answers carrying a value nested 20,000 levels deep;
 *   /auth/v1/…  407 Proxy Authentication Required.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const ESC_TITLE = '\u001b]0;pwned by the relay\u0007';
export const CLEAR = '\u001b[2J\u001b[H';
export const BIDI = '\u202e';
export const C1 = '\u009b31m';

export interface Hostile {
  url(mode: 'echo' | 'err' | 'huge' | 'deep' | 'auth'): string;
  /** Total bytes pushed into endless bodies (to show they were cut off). */
  endlessBytes: number;
  close(): Promise<void>;
}

function keyOf(req: IncomingMessage): string {
  return String(req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
}

/** The key without its prefix, and two overlapping pieces of it (a relay that echoes 28 of 31 characters). */
function forms(k: string): { body: string; piece: string } {
  const body = k.replace(/^(sk-proj-|sk-|hs-)/, '');
  return { body, piece: body.slice(2, 30) };
}

function hostileHeaders(k: string): Record<string, string> {
  const { body, piece } = forms(k);
  return {
    'x-request-id': `req_${k}`,
    'x-ratelimit-limit-requests': body,
    'x-ratelimit-remaining-requests': piece,
    'x-ratelimit-reset-requests': `1s ${k}`,
    'x-ratelimit-limit-tokens': '1000',
    'x-ratelimit-remaining-tokens': '0',
  };
}

function hostileText(k: string): string {
  const { body, piece } = forms(k);
  return `OK ${k} ${ESC_TITLE}${CLEAR}${BIDI}evil${C1}\nholy: FAKE LINE ${body} and ${piece}\r\noverwritten`;
}

function deep(n: number): string {
  return '['.repeat(n) + ']'.repeat(n);
}

function endless(res: ServerResponse, chunk: string, h: { endlessBytes: number }): void {
  const buf = Buffer.from(chunk.repeat(Math.ceil(65536 / chunk.length)));
  const push = (): void => {
    while (!res.destroyed) {
      h.endlessBytes += buf.length;
      if (!res.write(buf)) return void res.once('drain', push);
    }
  };
  res.on('error', () => undefined);
  push();
}

export async function startHostile(): Promise<Hostile> {
  const state = { endlessBytes: 0 };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const [, mode, , ...rest] = (req.url ?? '').split('/');
      const path = '/' + rest.join('/');
      const k = keyOf(req);
      const { body } = forms(k);
      let stream = false;
      try {
        stream = (JSON.parse(raw || '{}') as { stream?: boolean }).stream === true;
      } catch {
        /* a GET */
      }
      const h = hostileHeaders(k);
      if (mode === 'auth') {
        res.writeHead(407, { 'proxy-authenticate': 'Basic realm="proxy"', 'content-type': 'text/plain' }).end('proxy auth required');
        return;
      }
      if (mode === 'err') {
        const err = { error: { message: `Rate limit reached for ${k} ${ESC_TITLE}${CLEAR}`, type: `requests_${body}`, code: k, param: null } };
        res.writeHead(429, { ...h, 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify(err));
        return;
      }
      if (path.startsWith('/models')) {
        if (mode === 'huge') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"object":"list","data":[');
          return endless(res, '{"id":"gpt-4o","object":"model","owned_by":"x"},', state);
        }
        const data = [
          { id: k, object: 'model', owned_by: body, created: 1 },
          { id: `gpt-4o${ESC_TITLE}${CLEAR}`, object: 'model', owned_by: `${BIDI}nepo${C1}`, created: 2 },
          { id: 'gpt-4o-mini', object: 'model', owned_by: `system ${forms(k).piece}`, created: 3 },
        ];
        let text = JSON.stringify({ object: 'list', data });
        if (mode === 'deep') text = text.replace(/]}$/, `,{"id":"deep","object":"model","owned_by":"x","extra":${deep(20_000)}}]}`);
        res.writeHead(200, { ...h, 'content-type': 'application/json' }).end(text);
        return;
      }
      // POST /chat/completions
      const model = `gpt-4o-mini-${body}${CLEAR}`;
      const content = hostileText(k);
      if (mode === 'huge') {
        if (stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const piece = JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'xxxxxxxxxxxxxxxx' }, finish_reason: null }] });
          return endless(res, `data: ${piece}\n\n`, state);
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"');
        return endless(res, 'xxxxxxxxxxxxxxxx', state);
      }
      if (stream) {
        res.writeHead(200, { ...h, 'content-type': 'text/event-stream' });
        const chunk = (delta: Record<string, unknown>, finish: string | null) => `data: ${JSON.stringify({ id: `chatcmpl-${k}`, object: 'chat.completion.chunk', model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        res.write(chunk({ role: 'assistant' }, null));
        for (const part of content.match(/[\s\S]{1,7}/g) ?? []) res.write(chunk({ content: part }, null));
        res.write(chunk({}, 'stop'));
        res.write(`data: ${JSON.stringify({ id: 'u', object: 'chat.completion.chunk', model, choices: [], usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 } })}\n\n`);
        res.end('data: [DONE]\n\n');
        return;
      }
      const completion: Record<string, unknown> = {
        id: `chatcmpl-${k}`,
        object: 'chat.completion',
        model,
        system_fingerprint: `fp_${body}`,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 },
      };
      const text = mode === 'deep' ? JSON.stringify(completion).replace(/}$/, `,"nest":${deep(20_000)}}`) : JSON.stringify(completion);
      res.writeHead(200, { ...h, 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: (mode) => `http://127.0.0.1:${port}/${mode}/v1`,
    get endlessBytes() {
      return state.endlessBytes;
    },
    set endlessBytes(v: number) {
      state.endlessBytes = v;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
