/** File access for the traffic readers: existence checks, gzip detection, line streaming, sniffing. */
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { UsageError } from '../../errors.js';

/** Gzip by magic bytes (1f 8b), so a compressed file is read right whatever its name. */
function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** Fail early, in one sentence, for a missing file, a directory or an empty file; returns whether it is gzipped. */
export function checkFile(path: string, shown: string): { gzip: boolean } {
  let s;
  try {
    s = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`Traffic file ${shown} does not exist; check the path.`);
    throw new UsageError(`Traffic file ${shown} cannot be read (${code ?? (e as Error).message}); check its permissions.`);
  }
  if (s.isDirectory()) throw new UsageError(`${shown} is a directory; pass the traffic files inside it (e.g. ${shown.replace(/\/+$/, '')}/*.jsonl).`);
  if (s.size === 0) throw new UsageError(`Traffic file ${shown} is empty; pass a file with at least one request.`);
  try {
    return { gzip: isGzip(path) };
  } catch (e) {
    throw new UsageError(`Traffic file ${shown} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check its permissions.`);
  }
}

function open(path: string, gzip: boolean): Readable {
  const raw = createReadStream(path);
  if (!gzip) return raw;
  const z = createGunzip();
  raw.on('error', (e) => z.destroy(e));
  return raw.pipe(z);
}

/** Stream non-blank lines with 1-based line numbers; a 100k-line file is never held whole. */
export async function* lines(path: string, gzip: boolean, shown: string): AsyncGenerator<{ line: number; text: string }> {
  const input = open(path, gzip);
  const rl = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of rl) {
      n++;
      const text = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() !== '') yield { line: n, text };
    }
  } catch (e) {
    throw new UsageError(`Traffic file ${shown} could not be read at line ${n + 1} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  } finally {
    rl.close();
    input.destroy();
  }
}

/** The first bytes of the (decompressed) file as text, for telling a HAR document from JSONL. */
export function head(path: string, gzip: boolean, bytes = 4096): string {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(gzip ? 65536 : bytes);
    const n = readSync(fd, b, 0, b.length, 0);
    if (!gzip) return b.subarray(0, n).toString('utf8');
    try {
      return gunzipSync(b.subarray(0, n), { finishFlush: 2 /* Z_SYNC_FLUSH: accept a truncated stream */ }).subarray(0, bytes).toString('utf8');
    } catch {
      return '';
    }
  } finally {
    closeSync(fd);
  }
}

/** The whole (decompressed) file as text: HAR is one JSON document, and HAR files are small. */
export async function wholeText(path: string, gzip: boolean): Promise<string> {
  const buf = await readFile(path);
  return (gzip ? gunzipSync(buf) : buf).toString('utf8').replace(/^\uFEFF/, '');
}
