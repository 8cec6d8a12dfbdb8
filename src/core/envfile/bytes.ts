/**
 * Env files as bytes: a lossless byte ↔ string mapping, so the dotenv model can keep lines holy
 * does not edit exactly as they were whatever their encoding (Latin-1, Shift-JIS, stray bytes).
 *
 * Valid UTF-8 decodes as usual; each byte that is not part of a valid UTF-8 sequence becomes a
 * lone low surrogate U+DC80..U+DCFF (Python's "surrogateescape"). Valid UTF-8 can never produce
 * a lone surrogate, so encoding maps those back to the original byte: decode → encode is the
 * identity on every byte string. To dotenv's line pattern an escaped byte is an ordinary
 * character (not a space, quote, # or line break), just as the U+FFFD dotenv itself reads there,
 * so lines split exactly where the app's loader splits them.
 */

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Length of the valid UTF-8 sequence starting at b[i], or 0 if the byte there starts none. */
function seqLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    // No overlongs (E0 80..9F) and no UTF-16 surrogates (ED A0..BF).
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** Bytes → text; invalid UTF-8 bytes become U+DC80+byte. A UTF-8 BOM is kept as U+FEFF. */
export function decodeBytes(bytes: Uint8Array): string {
  try {
    return fatal.decode(bytes);
  } catch {
    /* not valid UTF-8 as a whole: decode sequence by sequence below */
  }
  const parts: string[] = [];
  let run = 0; // start of the current run of valid UTF-8
  const flush = (end: number) => {
    if (end > run) parts.push(fatal.decode(bytes.subarray(run, end)));
  };
  for (let i = 0; i < bytes.length; ) {
    const n = seqLength(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    flush(i);
    parts.push(String.fromCharCode(0xdc00 + bytes[i]!));
    i += 1;
    run = i;
  }
  flush(bytes.length);
  return parts.join('');
}

// A low surrogate not preceded by a high one: an escaped byte (decodeBytes never emits pairs of them).
const ESCAPED = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/g;

/** Text → bytes, the inverse of decodeBytes. */
export function encodeBytes(text: string): Buffer {
  if (!/[\uDC80-\uDCFF]/.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of text.matchAll(ESCAPED)) {
    parts.push(Buffer.from(text.slice(last, m.index), 'utf8'), Buffer.from([m[0].charCodeAt(0) - 0xdc00]));
    last = m.index + 1;
  }
  parts.push(Buffer.from(text.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** Whether this text holds a byte that was not valid UTF-8 in the file. */
export function hasEscapedBytes(text: string): boolean {
  return new RegExp(ESCAPED.source).test(text);
}
