/** Timestamps in usage files: epoch seconds, epoch milliseconds or ISO 8601, detected once per column. */

export type TimeKind = 'epoch-s' | 'epoch-ms' | 'iso';

/** How each kind is named on stderr and in JSON. */
export const TIME_KIND_LABEL: Record<TimeKind, string> = {
  'epoch-s': 'epoch seconds',
  'epoch-ms': 'epoch milliseconds',
  iso: 'ISO 8601, UTC where no offset is given',
};

/** Guess the kind from a column's first value: 12+ integer digits is milliseconds (after 1973), fewer is seconds. */
export function detectTimeKind(sample: string): TimeKind {
  const m = /^\s*(\d+)(\.\d+)?\s*$/.exec(sample);
  if (!m) return 'iso';
  return m[1]!.length >= 12 ? 'epoch-ms' : 'epoch-s';
}

const DAY_MS = 86_400_000;

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}
function two(s: string, i: number): number {
  return digit(s, i) * 10 + digit(s, i + 1);
}

/** Parses one column's timestamps to epoch ms (NaN when unreadable), caching the date part because rows share days. */
export class TimeParser {
  kind: TimeKind | undefined;
  private lastDay = '';
  private lastDayMs = NaN;
  private keyDay = NaN;
  private keyDayStr = '';

  parse(raw: string): number {
    const s = raw.length > 0 && (raw.charCodeAt(0) === 32 || raw.charCodeAt(raw.length - 1) === 32) ? raw.trim() : raw;
    if (s === '') return NaN;
    this.kind ??= detectTimeKind(s);
    if (this.kind !== 'iso') {
      if (!/^\d+(\.\d+)?$/.test(s)) return NaN;
      const n = Number(s);
      return this.kind === 'epoch-s' ? Math.round(n * 1000) : n;
    }
    return this.parseIso(s);
  }

  private parseIso(s: string): number {
    const sep = s.charCodeAt(10);
    if (s.length < 19 || (sep !== 84 && sep !== 32) || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) {
      // Date only, or some other ISO shape: the slow, general parser (date-only means UTC midnight).
      const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? s + 'T00:00:00Z' : s);
      return Number.isNaN(t) ? NaN : t;
    }
    const day = s.slice(0, 10);
    if (day !== this.lastDay) {
      const t = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(day + 'T00:00:00Z') : NaN;
      if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== day) return NaN;
      this.lastDay = day;
      this.lastDayMs = t;
    }
    const hh = two(s, 11);
    const mm = two(s, 14);
    const ss = two(s, 17);
    if (!(hh < 24 && mm < 60 && ss < 61)) return NaN;
    let ms = 0;
    let i = 19;
    if (s.charCodeAt(i) === 46) {
      i++;
      let scale = 100;
      while (i < s.length) {
        const d = digit(s, i);
        if (Number.isNaN(d)) break;
        ms += d * scale;
        scale /= 10;
        i++;
      }
      ms = Math.floor(ms);
    }
    let offsetMin = 0;
    if (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 90 && i === s.length - 1) offsetMin = 0;
      else if (c === 43 || c === 45) {
        const rest = s.slice(i + 1);
        const m = /^(\d{2}):?(\d{2})?$/.exec(rest);
        if (!m) return NaN;
        offsetMin = (Number(m[1]) * 60 + Number(m[2] ?? 0)) * (c === 45 ? -1 : 1);
      } else return NaN;
    }
    return this.lastDayMs + ((hh * 60 + mm - offsetMin) * 60 + ss) * 1000 + ms;
  }

  /** UTC day "YYYY-MM-DD" of an epoch-ms time (cached: consecutive rows usually share a day). */
  dayKey(ms: number): string {
    const d = Math.floor(ms / DAY_MS);
    if (d !== this.keyDay) {
      this.keyDay = d;
      this.keyDayStr = new Date(d * DAY_MS).toISOString().slice(0, 10);
    }
    return this.keyDayStr;
  }
}

/** ISO 8601 of an epoch-ms time, to the second. */
export function isoSecond(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
