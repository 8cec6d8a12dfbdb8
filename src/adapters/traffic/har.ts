/** HAR 1.2 entries → chat-completion requests with their recorded responses (auth headers are never read). */
import { checkBody, endpointOf, isChatPath, epochMs, type LineResult } from './records.js';
import { completionFromSse } from './sse.js';
import type { ChatBody, RecordedResponse } from './types.js';

export interface HarEntry {
  startedDateTime?: unknown;
  time?: unknown;
  request?: { method?: unknown; url?: unknown; postData?: { mimeType?: unknown; text?: unknown } };
  response?: { status?: unknown; content?: { mimeType?: unknown; text?: unknown; encoding?: unknown } };
}

/** The entries of a parsed HAR document, or why it is not one. */
export function harEntries(doc: unknown): { entries: unknown[] } | { problem: string } {
  const log = (doc as { log?: { entries?: unknown } } | null)?.log;
  if (!log || typeof log !== 'object') return { problem: 'has no "log" object, so it is not a HAR file' };
  if (!Array.isArray(log.entries)) return { problem: 'has no "log.entries" array' };
  return { entries: log.entries };
}

/** The recorded response of an entry: JSON bodies as-is, SSE bodies reassembled into one chat.completion. */
export function recordedOf(e: HarEntry): RecordedResponse | undefined {
  const r = e.response;
  if (!r || typeof r.status !== 'number') return undefined;
  const rec: RecordedResponse = { status: r.status };
  if (typeof e.time === 'number' && e.time >= 0) rec.e2eMs = e.time;
  let text = typeof r.content?.text === 'string' ? r.content.text : '';
  if (text && r.content?.encoding === 'base64') text = Buffer.from(text, 'base64').toString('utf8');
  if (!text) return rec;
  const mime = typeof r.content?.mimeType === 'string' ? r.content.mimeType : '';
  if (/event-stream/i.test(mime) || /^\s*(data|event|id):/.test(text)) {
    const s = completionFromSse(text);
    if (s.body) rec.body = s.body;
    if (s.error) rec.error = s.error;
    else if (!s.complete) rec.error = { code: 'truncated', message: 'the recorded stream ended without a finish_reason or [DONE]' };
    return rec;
  }
  try {
    const j = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (j && typeof j === 'object' && j.error && typeof j.error === 'object') {
      rec.error = { ...(typeof j.error.code === 'string' ? { code: j.error.code } : {}), message: typeof j.error.message === 'string' ? j.error.message : 'error' };
    } else rec.body = j;
  } catch {
    rec.error = { message: `response is not JSON (${mime || 'unknown type'})` };
  }
  return rec;
}

/** One HAR entry: a POST to …/chat/completions becomes a request; other entries are skipped by "METHOD /path". */
export function harEntry(raw: unknown): LineResult<{ body: ChatBody; recorded?: RecordedResponse; at?: number }> {
  if (!raw || typeof raw !== 'object') return { problem: 'entry is not an object' };
  const e = raw as HarEntry;
  const url = typeof e.request?.url === 'string' ? e.request.url : '';
  const method = typeof e.request?.method === 'string' ? e.request.method.toUpperCase() : '';
  if (!url || !method) return { problem: 'entry has no request.method/request.url' };
  if (method !== 'POST' || !isChatPath(url)) return { skip: `${method} ${endpointOf(url)}` };
  const text = e.request?.postData?.text;
  if (typeof text !== 'string' || text.trim() === '') return { problem: 'POST to chat/completions without request.postData.text (the browser did not record the body)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: 'request.postData.text is not valid JSON' };
  }
  const b = checkBody(parsed);
  if ('problem' in b) return { problem: `request body: ${b.problem}` };
  const recorded = recordedOf(e);
  const at = epochMs(e.startedDateTime);
  // Only the JSON body is taken from the request: headers (Authorization, cookies) are never read.
  return { ok: { body: b.ok, ...(recorded ? { recorded } : {}), ...(at !== undefined ? { at } : {}) } };
}
