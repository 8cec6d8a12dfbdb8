/** A set of request ids kept as 64-bit hashes in typed arrays, so millions of ids fit in tens of MB. */

const SHARDS = 256;
const MIN_SLOTS = 64;
const MAX_LOAD = 0.8;

/**
 * Why not a Set<string>: 5M ids as JS strings cost ~300 MB, far over roi's 150 MB budget.
 * Two independent 32-bit hashes (FNV-1a and a murmur-style mix) of the id's UTF-8 bytes make
 * a 64-bit key; two different ids collide with probability ≈ n²/2⁶⁵ (≈ 7·10⁻⁷ at 5M ids), as
 * docs/roi.md states. Memory: a replaced array stays allocated until a full GC (measured:
 * doubling 5M ids this way peaked at 185 MB RSS), so the reader sizes the set up front from
 * the file size (`reserve`), and unplanned growth is by 1.5× in 256 independent shards.
 * Slot index = (hash × size) / 2³² ("fastrange"), so sizes need not be powers of two.
 */
export class IdSet {
  /** Per shard: interleaved [h1, h2] pairs; (0,0) marks an empty slot. */
  private readonly slots: Uint32Array[] = [];
  private readonly count = new Uint32Array(SHARDS);
  size = 0;

  constructor(expected = 0) {
    const n = slotsFor(expected);
    for (let s = 0; s < SHARDS; s++) this.slots.push(new Uint32Array(2 * n));
  }

  /** Make room for `expected` ids in total without further growth (cheap while the set is small). */
  reserve(expected: number): void {
    const n = slotsFor(expected);
    for (let s = 0; s < SHARDS; s++) if (this.slots[s]!.length < 2 * n) this.rehash(s, n);
  }

  /** Add an id given as a string; false when it was already there (a duplicate). */
  add(id: string): boolean {
    // Hash the UTF-8 bytes so an id read from raw bytes (addBytes) hashes the same.
    let ascii = true;
    for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) > 127) ascii = false;
    if (!ascii) {
      const b = Buffer.from(id, 'utf8');
      return this.addBytes(b, 0, b.length);
    }
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c ^ id.length;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    return this.finish(h1, h2);
  }

  /** Add an id given as bytes buf[start, end). */
  addBytes(buf: Uint8Array, start: number, end: number): boolean {
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c ^ (end - start);
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    return this.finish(h1, h2);
  }

  private finish(h1: number, h2: number): boolean {
    h1 ^= h1 >>> 16;
    h1 = Math.imul(h1, 0x85ebca6b);
    h1 ^= h1 >>> 13;
    h2 = Math.imul(h2 ^ (h2 >>> 16), 0xc2b2ae35);
    h2 ^= h2 >>> 16;
    h1 >>>= 0;
    h2 >>>= 0;
    if (h1 === 0 && h2 === 0) h2 = 1;
    const s = h1 & (SHARDS - 1);
    if (!insert(this.slots[s]!, h1, h2)) return false;
    this.size++;
    if (++this.count[s]! > (this.slots[s]!.length >>> 1) * MAX_LOAD) this.rehash(s, Math.ceil((this.slots[s]!.length >>> 1) * 1.5));
    return true;
  }

  private rehash(s: number, n: number): void {
    const old = this.slots[s]!;
    const next = new Uint32Array(2 * n);
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0 || old[i + 1] !== 0) insert(next, old[i]!, old[i + 1]!);
    this.slots[s] = next;
  }
}

function slotsFor(expected: number): number {
  return Math.max(MIN_SLOTS, Math.ceil(expected / SHARDS / MAX_LOAD / 0.95));
}

function insert(t: Uint32Array, a: number, b: number): boolean {
  const n = t.length >>> 1;
  // fastrange on h2 (h1's low bits chose the shard).
  let i = Math.floor((b * n) / 4294967296);
  for (;;) {
    const x = t[2 * i]!;
    const y = t[2 * i + 1]!;
    if (x === 0 && y === 0) break;
    if (x === a && y === b) return false;
    if (++i === n) i = 0;
  }
  t[2 * i] = a;
  t[2 * i + 1] = b;
  return true;
}
