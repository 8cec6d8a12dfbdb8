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

  private byteDay = -1;
  private byteDayMs = NaN;

  /**
   * parse() for the common ISO shapes — YYYY-MM-DD, 'T' or space, HH:MM:SS, optional fraction,
   * optional Z or ±HH[:]MM — read straight from ASCII bytes, with no string per row; the value is
   * computed by the same arithmetic as parseIso, so it is identical. Anything else (epoch kinds,
   * padding, other shapes, years before 100) returns undefined and the caller uses parse().
   */
  parseBytes(b: Uint8Array, s: number, e: number): number | undefined {
    if (this.kind !== 'iso' || e - s < 19) return undefined;
    const d = (k: number) => {
      const c = b[s + k]! - 48;
      return c >= 0 && c <= 9 ? c : -100000;
    };
    const y = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
    const mo = d(5) * 10 + d(6);
    const da = d(8) * 10 + d(9);
    const hh = d(11) * 10 + d(12);
    const mm = d(14) * 10 + d(15);
    const ss = d(17) * 10 + d(18);
    const sep = b[s + 10];
    if (y < 100 || mo < 0 || da < 0 || hh < 0 || mm < 0 || ss < 0 || b[s + 4] !== 45 || b[s + 7] !== 45 || (sep !== 84 && sep !== 32) || b[s + 13] !== 58 || b[s + 16] !== 58) return undefined;
    const key = y * 10000 + mo * 100 + da;
    if (key !== this.byteDay) {
      const t = Date.UTC(y, mo - 1, da);
      const back = new Date(t);
      // Date.UTC rolls 2026-02-30 over into March: such a day is not a date (parse() says NaN too).
      if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== da) return NaN;
      this.byteDay = key;
      this.byteDayMs = t;
    }
    if (!(hh < 24 && mm < 60 && ss < 61)) return NaN;
    let ms = 0;
    let i = s + 19;
    if (b[i] === 46 && i < e) {
      i++;
      let scale = 100;
      while (i < e) {
        const c = b[i]! - 48;
        if (c < 0 || c > 9) break;
        ms += c * scale;
        scale /= 10;
        i++;
      }
      ms = Math.floor(ms);
    }
    let offsetMin = 0;
    if (i < e) {
      const c = b[i];
      const n = e - i - 1;
      if (c === 90 && n === 0) offsetMin = 0;
      else if ((c === 43 || c === 45) && (n === 2 || n === 4 || (n === 5 && b[i + 3] === 58))) {
        const o = (k: number) => {
          const v = b[i + 1 + k]! - 48;
          return v >= 0 && v <= 9 ? v : NaN;
        };
        const oh = o(0) * 10 + o(1);
        const om = n === 2 ? 0 : n === 4 ? o(2) * 10 + o(3) : o(3) * 10 + o(4);
        if (Number.isNaN(oh) || Number.isNaN(om)) return undefined;
        offsetMin = (oh * 60 + om) * (c === 45 ? -1 : 1);
      } else return undefined;
    }
    return this.byteDayMs + ((hh * 60 + mm - offsetMin) * 60 + ss) * 1000 + ms;
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
