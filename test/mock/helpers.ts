/** Client-side helpers for the mock tests: real HTTP via Node's fetch, SSE split into timed events. */
import type { MockServer } from '../../src/mock/server.js';

export const KEY = 'mock-test-key-0001';
export const AUTH = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

export function chatBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'gpt-4o', messages: [{ role: 'user', content: 'Say something about latency.' }], ...extra };
}

/** POST /chat/completions with the test key. */
export function post(m: MockServer, body: unknown, headers: Record<string, string> = AUTH): Promise<Response> {
  return fetch(m.url + '/chat/completions', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

export interface TimedEvent {
  data: string;
  /** ms since `t0`, when the bytes carrying this event arrived. */
  t: number;
}

/** Read an SSE body into its `data:` payloads with arrival times (ms after t0). */
export async function readEvents(res: Response, t0: number): Promise<TimedEvent[]> {
  const out: TimedEvent[] = [];
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const t = performance.now() - t0;
    buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const ev = buf.slice(0, i);
      buf = buf.slice(i + 2);
      for (const line of ev.split('\n')) if (line.startsWith('data: ')) out.push({ data: line.slice(6), t });
    }
  }
  if (buf.trim()) out.push({ data: buf.replace(/^data: /, ''), t: performance.now() - t0 });
  return out;
}

/** Parsed chunks of a clean stream, without the final [DONE]. */
export function chunks(events: TimedEvent[]): any[] {
  return events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data));
}

/** Concatenated content deltas. */
export function streamedText(cs: any[]): string {
  return cs.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
}
