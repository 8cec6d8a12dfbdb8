/** Key masking: a key is never printed, logged or written unmasked. */

/** Characters of a key that masking always leaves out (a 12-character hs- key shows 7); a shorter key is shown as stars only. */
const MIN_HIDDEN = 5;

/** "sk-proj-abc…wxyz" style: enough to tell keys apart, never enough to use one. */
export function maskKey(key: string | undefined | null): string {
  if (!key) return '(none)';
  const k = key.trim();
  const head = k.startsWith('sk-proj-') ? 8 : 3;
  // The prefix is not secret, but with the last four it must not add up to (nearly) the whole key.
  if (k.length < head + 4 + MIN_HIDDEN) return '*'.repeat(Math.max(3, k.length));
  return `${k.slice(0, head)}…${k.slice(-4)}`;
}

const KEY_LIKE = /\b(sk-[A-Za-z0-9_-]{8,}|hs-[A-Za-z0-9_-]{8,})\b/g;
const BEARER = /(Bearer\s+)([^\s"',]+)/gi;

/**
 * Replace every known key (raw and trimmed) and anything key-shaped in free text —
 * used on error messages and server bodies before they reach a terminal or a file.
 */
export function redact(text: string, keys: ReadonlyArray<string | undefined> = []): string {
  let s = text;
  for (const k of keys) {
    if (!k) continue;
    for (const variant of new Set([k, k.trim()])) {
      if (variant.length >= 6) s = s.split(variant).join(maskKey(variant));
    }
  }
  return s.replace(BEARER, (_m, p: string, tok: string) => p + maskKey(tok)).replace(KEY_LIKE, (m) => maskKey(m));
}
