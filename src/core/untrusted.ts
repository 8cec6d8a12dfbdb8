/**
 * The untrusted-text policy: everything a server, a proxy or an input file sends passes through an
 * Untrusted before anything else in holy sees it. It (1) redacts every key holy holds — the whole key,
 * its prefix-less body and any piece of 12 or more characters of it — and (2) strips what would let
 * the text act on a terminal: ESC sequences, other C0/C1 controls, DEL and bidi overrides. Values are
 * also capped in depth, so nothing downstream (JSON.stringify, renderers) recurses without a bound.
 * Pure: the keys come in from the profile layer (adapters/profiles.ts).
 */

/** A piece of a key at least this long is redacted wherever it appears. */
export const KEY_PIECE = 12;
/** Nesting depth beyond which a value is cut off (a chat completion needs < 10). */
export const MAX_DEPTH = 64;
/** What replaces a key (or a piece of one). */
export const REDACTED = '[key redacted]';

// ESC sequences first (CSI, OSC/DCS/SOS/PM/APC strings up to BEL or ST, two-byte escapes), then what is left.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|[ -/]*[0-~]?)|\u009b[0-?]*[ -/]*[@-~]?|[\u0090\u009d\u009e\u009f][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?/g;
// C0 except tab and newline, DEL, C1, bidi embeddings/overrides/isolates and the Arabic letter mark.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u061c]/g;
// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u061c]/;

/** Terminal-safe text: escape sequences and control characters removed, CR and CRLF become LF. Keeps tabs and newlines. */
export function stripControls(s: string): string {
  if (!ANY_CONTROL.test(s)) return s;
  return s.replace(ESCAPES, '').replace(/\r\n?/g, '\n').replace(CONTROLS, '');
}

/** One line of text: stripControls, then every newline or tab becomes a visible "⏎" or a space. */
export function oneLine(s: string): string {
  return stripControls(s).replace(/\n/g, '⏎').replace(/\t/g, ' ');
}

/** True when `s` holds any control character (CR, LF and tab included): a value that must not be written. */
export function hasControl(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(s);
}

/** Key prefixes that are not secret on their own: their body (after the prefix) is redacted as well. */
const PREFIX = /^(sk-proj-|sk-svcacct-|sk-admin-|sk-ant-|sk-|hs-)/;

/** Holds the keys of this run and cleans untrusted text and values against them. */
export class Untrusted {
  private readonly pieces = new Set<string>();
  /** Aligned 6-character chunks: any 12-character piece of a key contains one, so a text holding none is clean (fast path). */
  private readonly anchorSet = new Set<string>();
  private anchors: string[] = [];
  /** Keys too short to have 12-character pieces: redacted whole. */
  private readonly shortKeys = new Set<string>();
  private plain = true;

  constructor(keys: Iterable<string | undefined> = []) {
    for (const k of keys) this.add(k);
  }

  /** Add a key (as stored or cleaned: its trimmed form and its body without a known prefix are covered). */
  add(key: string | undefined): void {
    if (!key) return;
    if (JSON.stringify(key.trim()) !== `"${key.trim()}"`) this.plain = false;
    // Trimmed: whitespace around a key as stored is not part of it (and would redact the space before it).
    for (const v of new Set([key.trim(), key.trim().replace(PREFIX, '')])) {
      if (v.length < KEY_PIECE) {
        if (v.length >= 6 && v !== key.trim().match(PREFIX)?.[0]) this.shortKeys.add(v);
        continue;
      }
      for (let i = 0; i + KEY_PIECE <= v.length; i++) this.pieces.add(v.slice(i, i + KEY_PIECE));
      for (let i = 0; i + 6 <= v.length; i += 6) this.anchorSet.add(v.slice(i, i + 6));
      // The last, unaligned chunk: a piece at the very end of the key contains it.
      this.anchorSet.add(v.slice(-6));
      this.anchors = [...this.anchorSet];
    }
  }

  /** Number of distinct keys' pieces held (tests, and to skip work when there are none). */
  get empty(): boolean {
    return this.pieces.size === 0 && this.shortKeys.size === 0;
  }

  /**
   * Does every key held appear verbatim inside a JSON string (no quote, backslash, control character
   * or lone surrogate)? Then a JSON text in which redact() finds nothing holds no key in any of its
   * strings, and a serialised value can be checked in one pass instead of string by string.
   */
  get jsonPlain(): boolean {
    return this.plain;
  }

  /** Keys (or pieces of 12+ characters of them) replaced by REDACTED. */
  redact(s: string): string {
    if (this.empty || s.length < 6) return s;
    let out = s;
    for (const k of this.shortKeys) if (out.includes(k)) out = out.split(k).join(REDACTED);
    if (out.length < KEY_PIECE) return out;
    // Mark every position covered by a 12-character piece of a key, then replace each covered run once.
    // A piece holds a whole anchor at offset 0–6, so only the 7 windows starting 6 before each place an
    // anchor occurs can be pieces: a text is searched once per anchor, not sliced at every position.
    let covered: Uint8Array | undefined;
    const last = out.length - KEY_PIECE;
    for (const a of this.anchors) {
      for (let j = out.indexOf(a); j >= 0; j = out.indexOf(a, j + 1)) {
        for (let i = Math.max(0, j - (KEY_PIECE - 6)); i <= j && i <= last; i++) {
          if (this.pieces.has(out.slice(i, i + KEY_PIECE))) (covered ??= new Uint8Array(out.length)).fill(1, i, i + KEY_PIECE);
        }
      }
    }
    if (!covered) return out;
    let res = '';
    for (let i = 0; i < out.length; ) {
      if (!covered[i]) {
        res += out[i++];
        continue;
      }
      while (i < out.length && covered[i]) i++;
      res += REDACTED;
    }
    return res;
  }

  /** Untrusted text made safe: keys redacted, controls stripped, and at most `max` characters kept. */
  text(s: string, max = Infinity): string {
    const t = this.redact(stripControls(s));
    return t.length > max ? t.slice(0, max) + '…' : t;
  }

  /** A single-line version of text(), for labels, ids and table cells. */
  line(s: string, max = 500): string {
    return oneLine(this.text(s, max));
  }

  /**
   * A parsed JSON value made safe: every string (and object key) cleaned with text(), anything nested
   * deeper than MAX_DEPTH replaced by the string "[too deeply nested]". Returns a new value.
   */
  value<T>(v: T, depth = 0): T {
    if (typeof v === 'string') return this.text(v) as T;
    if (v === null || typeof v !== 'object') return v;
    if (depth >= MAX_DEPTH) return '[too deeply nested]' as T;
    if (Array.isArray(v)) return v.map((x) => this.value(x, depth + 1)) as T;
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const key = this.text(k);
      const val = this.value(x, depth + 1);
      // A "__proto__" key sent by a server stays a plain property; assigned, it would set o's prototype.
      if (key === '__proto__') Object.defineProperty(o, key, { value: val, enumerable: true, writable: true, configurable: true });
      else o[key] = val;
    }
    return o as T;
  }

  /** Header values cleaned as single lines (names lower-cased). */
  headers(h: Record<string, string>): Record<string, string> {
    const o: Record<string, string> = {};
    for (const [k, v] of Object.entries(h)) o[oneLine(k.toLowerCase())] = this.line(v, 2000);
    return o;
  }
}

/** How deeply a parsed JSON value nests (iterative: a 100,000-level value cannot overflow the stack). Stops counting at `limit`. */
export function depthOf(v: unknown, limit = MAX_DEPTH + 1): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d + 1 > max) max = d + 1;
    if (max >= limit) return max;
    for (const c of Array.isArray(x) ? x : Object.values(x as Record<string, unknown>)) if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
  }
  return max;
}

/**
 * How deeply a JSON text nests, counted on its brackets before parsing (strings skipped), so a line
 * of 10,000 "[" is refused before JSON.parse or anything recursive sees it.
 */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}
