/** Writing responses on a timeline: latency, jitter and mid-response faults, scheduled from the request's start. */
import type { ServerResponse } from 'node:http';
import type { MockFault } from './faults.js';
import type { StreamEvents } from './completion.js';
import * as E from './errors.js';

/** Server-wide timing state: the clock and live timers (cleared on close so tests exit promptly). */
export interface Timeline {
  clock(): number;
  timers: Set<NodeJS.Timeout>;
}

/** Run fn at absolute clock time `at`, never before; immediately (no timer) when it is already due — the zero-latency path. */
export function at(tl: Timeline, res: ServerResponse, when: number, fn: () => void): void {
  const d = when - tl.clock();
  if (d <= 0) return fn();
  // Node counts a timer from the event loop's cached time, which lags the clock by a millisecond or
  // more on a busy machine, so a timer can fire early: check again and wait out whatever is left.
  const t = setTimeout(() => {
    tl.timers.delete(t);
    if (!res.destroyed) at(tl, res, when, fn);
  }, d);
  tl.timers.add(t);
}

/** Half-way point where mid-response faults strike. */
const middle = (n: number) => n >> 1;

/** Send a complete body, honouring stall/reset faults in the 'body' phase (half the body, then the fault). */
export function sendBody(tl: Timeline, res: ServerResponse, status: number, headers: string[], body: string, fault?: MockFault): void {
  const midBody = fault && (fault.kind === 'stall' || fault.kind === 'reset') && fault.phase === 'body';
  if (!midBody) {
    headers.push('content-length', String(Buffer.byteLength(body)));
    res.writeHead(status, headers);
    res.end(body);
    return;
  }
  res.writeHead(status, headers);
  const half = body.length >> 1;
  if (fault.kind === 'reset') {
    res.write(body.slice(0, half), () => res.socket?.destroy());
    return;
  }
  res.write(body.slice(0, half));
  at(tl, res, tl.clock() + fault.ms, () => res.end(body.slice(half)));
}

interface StreamTiming {
  t0: number;
  ttftMs: number;
  perTokenMs: number;
  jitterMs: number;
  random: () => number;
}

/** When each of n pieces is due: t0 + ttft + i·perToken + a seeded jitter in [0, jitter], never before the previous piece. */
export function schedule(n: number, tm: StreamTiming): Float64Array {
  const due = new Float64Array(n);
  let prev = tm.t0;
  for (let i = 0; i < n; i++) {
    let t = tm.t0 + tm.ttftMs + i * tm.perTokenMs + (tm.jitterMs > 0 ? tm.random() * tm.jitterMs : 0);
    if (t < prev) t = prev;
    due[i] = prev = t;
  }
  return due;
}

// Deliberately not valid JSON: the stream parser of a client must cope or report it.
const MALFORMED = 'data: {"id":"chatcmpl-holymock","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"unterminated\n\n';

/**
 * Stream SSE events: the role-only event at once, piece i at t0 + ttft + i·perToken (+ seeded jitter,
 * kept monotonic), then the tail. Times are absolute from the request start so delays never drift.
 */
export function sendStream(tl: Timeline, res: ServerResponse, headers: string[], ev: StreamEvents, tm: StreamTiming, fault?: MockFault): void {
  res.writeHead(200, headers);
  const n = ev.pieces.length;
  const zero = tm.ttftMs <= 0 && tm.perTokenMs <= 0 && tm.jitterMs <= 0;
  if (zero && !fault) {
    res.end(ev.role + ev.pieces.join('') + ev.tail);
    return;
  }
  res.write(ev.role);
  const k = middle(n);
  const due = schedule(n, tm);
  let i = 0;
  let faulted = !fault;
  const pump = (): void => {
    // Up to 1 ms early is accepted: libuv timers round to whole ms and would otherwise add a spurious extra tick.
    const now = tl.clock() + 1;
    let buf = '';
    while (i < n && due[i]! <= now) {
      if (i === k && !faulted) {
        faulted = true;
        const kind = fault!.kind;
        if (kind === 'malformed-sse') buf += MALFORMED;
        else if (kind === 'truncate') return void res.end(buf);
        else if (kind === 'in-stream-error') return void res.end(buf + `data: ${E.IN_STREAM_ERROR}\n\n`);
        else if (kind === 'reset') {
          if (buf) res.write(buf, () => res.socket?.destroy());
          else res.socket?.destroy();
          return;
        } else if (kind === 'stall') {
          // The pause counts from the moment the stream stops, so the client sees a silence of the full length.
          const shift = now - 1 + fault!.ms - due[k]!;
          for (let j = k; j < n; j++) due[j]! += shift;
          break;
        }
      }
      buf += ev.pieces[i++];
    }
    if (i < n) {
      if (buf) res.write(buf);
      at(tl, res, due[i]!, pump);
    } else res.end(buf + ev.tail);
  };
  pump();
}

/**
 * Faults answered in place of the response (status, 429s, HTML, reset before any byte); returns false
 * for those that shape the response itself (stalls, mid-body resets, stream faults).
 */
export function faultReply(tl: Timeline, res: ServerResponse, f: MockFault, model: string, jsonHeaders: (limits?: string[]) => string[], idHeaders: string[]): boolean {
  switch (f.kind) {
    case 'status':
      sendBody(tl, res, f.status, jsonHeaders(), E.statusError(f.status, f.code, f.type, f.message));
      return true;
    case 'rate-limit': {
      const s = f.retryAfterS ?? 1;
      sendBody(tl, res, 429, jsonHeaders(['retry-after', String(s), 'retry-after-ms', String(s * 1000), ...E.rateLimitHeaders(0, 0, s)]), E.rateLimitBody(model, s));
      return true;
    }
    case 'insufficient-quota':
      sendBody(tl, res, 429, jsonHeaders(), E.QUOTA_BODY);
      return true;
    case 'html': {
      const body = E.htmlPage(f.status ?? 502);
      res.writeHead(f.status ?? 502, ['content-type', 'text/html', 'content-length', String(Buffer.byteLength(body)), ...idHeaders]);
      res.end(body);
      return true;
    }
    case 'reset':
      if (f.phase === 'body') return false;
      res.socket?.destroy();
      return true;
    default:
      return false;
  }
}
