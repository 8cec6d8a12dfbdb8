/** Structured JSON log lines on stderr: one object per line; never a prompt, an answer or a key. */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Log {
  (level: Level, event: string, fields?: Record<string, unknown>): void;
  readonly level: Level;
  /** Whether a line at this level is written (callers skip building fields that would be dropped). */
  enabled(level: Level): boolean;
  /** Write out lines still held (batched mode); a no-op otherwise. */
  flush(): void;
}

/**
 * A logger writing to `write` (stderr) at `level` and above; `now` is the wall clock.
 * With `batch`, debug and info lines (one per request) are held and written together once per turn of
 * the event loop (setImmediate) — one write for many requests instead of one each; a warn or an error
 * writes at once, after the lines held before it, so the order stays as logged.
 */
export function makeLog(write: (line: string) => void, level: Level = 'info', now: () => number = Date.now, o: { batch?: boolean } = {}): Log {
  const min = RANK[level];
  let held = '';
  let scheduled = false;
  const out = (text: string) => {
    try {
      write(text);
    } catch {
      // a closed stderr must not take a request down
    }
  };
  const flush = () => {
    scheduled = false;
    if (!held) return;
    const text = held;
    held = '';
    out(text);
  };
  // The line's head, `{"ts":"…","level":"…","event":…`, is built by hand and the fields serialised on their
  // own: the same bytes as stringifying {ts, level, event, ...fields} without copying the fields into a new
  // object (one line per request), and the timestamp's text is reused within the same millisecond.
  let lastMs = NaN;
  let lastTs = '';
  const ts = (ms: number): string => {
    if (ms !== lastMs) {
      lastMs = ms;
      lastTs = new Date(ms).toISOString();
    }
    return lastTs;
  };
  const log = ((lv: Level, event: string, fields?: Record<string, unknown>) => {
    if (RANK[lv] < min) return;
    let line: string;
    try {
      const head = `{"ts":"${ts(now())}","level":"${lv}","event":${JSON.stringify(event)}`;
      const rest = fields === undefined || 'ts' in fields || 'level' in fields || 'event' in fields ? undefined : JSON.stringify(fields);
      // No fields: the head alone. Fields that are not a plain object's JSON, or that name ts/level/event: as before.
      if (rest === undefined || rest.charCodeAt(0) !== 123) line = fields === undefined ? `${head}}\n` : JSON.stringify({ ts: ts(now()), level: lv, event, ...fields }) + '\n';
      else line = rest.length === 2 ? `${head}}\n` : `${head},${rest.slice(1)}\n`;
    } catch {
      return;
    }
    if (!o.batch || RANK[lv] >= RANK.warn) {
      if (held) flush();
      return out(line);
    }
    held += line;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  }) as Log;
  Object.defineProperty(log, 'level', { value: level });
  Object.defineProperty(log, 'flush', { value: flush });
  Object.defineProperty(log, 'enabled', { value: (lv: Level) => RANK[lv] >= min });
  return log;
}
