/** A served chat request as the proxy hands it to the cutover (shadow and recorder tests). */
import type { Served } from '../../src/gateway/contract.js';

let seq = 0;
export function servedAt(startedAt: number, o: Partial<Served> = {}): Served {
  return {
    requestId: `req-${++seq}`, tenant: 'acme', endpoint: 'chat', request: { model: 'gpt-4.1', messages: [{ role: 'user', content: 'Say hello' }] },
    provider: 'official', arm: 'primary', modelServed: 'gpt-4.1', ok: true, httpStatus: 200, text: 'Hello!', finishReason: 'stop',
    usage: { inputTokens: 9, cachedTokens: 0, outputTokens: 3, estimated: false }, ttftMs: 80, e2eMs: 120, startedAt, ...o,
  };
}
