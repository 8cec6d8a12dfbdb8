/** Structured JSON log lines on stderr: one object per line; never a prompt, an answer or a key. */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Log {
  (level: Level, event: string, fields?: Record<string, unknown>): void;
  readonly level: Level;
}

/** A logger writing to `write` (stderr) at `level` and above; `now` is the wall clock. */
export function makeLog(write: (line: string) => void, level: Level = 'info', now: () => number = Date.now): Log {
  const min = RANK[level];
  const log = ((lv: Level, event: string, fields: Record<string, unknown> = {}) => {
    if (RANK[lv] < min) return;
    try {
      write(JSON.stringify({ ts: new Date(now()).toISOString(), level: lv, event, ...fields }) + '\n');
    } catch {
      // a closed stderr must not take a request down
    }
  }) as Log;
  Object.defineProperty(log, 'level', { value: level });
  return log;
}
