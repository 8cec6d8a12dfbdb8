/** Opening usage inputs: files, "-" for stdin, gzip detected by its magic bytes (not only the .gz name). */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Ctx } from '../../context.js';
import { UsageError } from '../../errors.js';
import { isSqliteHeader } from '../sqlite.js';

export interface Source {
  /** As the user wrote it ("-" is shown as "stdin"). */
  name: string;
  /** Decompressed bytes; a plain file yields one reused buffer (consume each chunk before the next). */
  stream: AsyncIterable<Buffer>;
  /** Stop reading early (on an error). */
  close(): void;
  /** Size on disk (compressed), when known. */
  size?: number;
  /** Compressed bytes consumed so far (gzip), to estimate the row count from the file size. */
  diskBytes?: () => number;
  gzip: boolean;
  /** An SQLite database (detected by its header bytes): its absolute path; `stream` is empty, the ledger reader opens it. */
  sqlite?: string;
}

/** Big reads: parsing speed is bound by per-chunk overhead with the default 64 KB. */
const CHUNK = 1 << 20;

/** Open one input; a missing or unreadable file is a UsageError naming it. */
export async function openSource(ctx: Ctx, file: string): Promise<Source> {
  if (file === '-') {
    if (ctx.stdin.isTTY) throw new UsageError('"-" reads usage from stdin, but stdin is a terminal; pipe a file in (e.g. zcat usage.csv.gz | holy roi -) or pass the file name.');
    const first = await peek(ctx.stdin);
    if (first !== null && isSqliteHeader(first)) {
      throw new UsageError('stdin holds an SQLite database; SQLite files cannot be read from a pipe — pass the ledger by its file name (holy roi holy-ledger.db).');
    }
    const gzip = first !== null && first[0] === 0x1f && first[1] === 0x8b;
    const stream: Readable = gzip ? ctx.stdin.pipe(createGunzip({ chunkSize: CHUNK })) : ctx.stdin;
    return { name: 'stdin', stream, close: () => stream.destroy(), gzip };
  }
  const path = resolve(ctx.cwd, file);
  let size: number;
  // 16 bytes: gzip's 2-byte magic, or SQLite's "SQLite format 3\0".
  let magic = Buffer.alloc(16);
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new UsageError(`${file} is a directory; pass the usage CSV files inside it.`);
    size = st.size;
    const fh = await open(path, 'r');
    try {
      const { bytesRead } = await fh.read(magic, 0, 16, 0);
      magic = magic.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `${file} does not exist; check the path (use "-" to read stdin).` : `${file} cannot be read (${code ?? (e as Error).message}); check its permissions.`,
    );
  }
  if (isSqliteHeader(magic)) return { name: file, stream: (async function* () {})(), close: () => {}, size, gzip: false, sqlite: path };
  const gzip = magic.length >= 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  if (gzip) {
    const gunzip = createGunzip({ chunkSize: CHUNK });
    const stream = createReadStream(path, { highWaterMark: CHUNK }).pipe(gunzip);
    return { name: file, stream, close: () => stream.destroy(), size, gzip, diskBytes: () => gunzip.bytesWritten };
  }
  let closed = false;
  return { name: file, stream: readReused(path, () => closed), close: () => void (closed = true), size, gzip };
}

/**
 * A plain file read into one reused buffer: a stream allocates a fresh 1 MB buffer per chunk,
 * and those stay allocated until V8 collects them — tens of MB of RSS on a big ledger.
 */
async function* readReused(path: string, closed: () => boolean): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  try {
    for (;;) {
      if (closed()) return;
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) return;
      yield bytesRead === CHUNK ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** Look at stdin's first chunk without losing it (unshift puts it back). */
async function peek(stream: Readable): Promise<Buffer | null> {
  return new Promise((res, rej) => {
    const onReadable = () => {
      cleanup();
      const chunk = stream.read() as Buffer | string | null;
      if (chunk !== null) stream.unshift(chunk);
      res(chunk === null ? null : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    };
    const onEnd = () => {
      cleanup();
      res(null);
    };
    const onError = (e: Error) => {
      cleanup();
      rej(new UsageError(`stdin cannot be read (${e.message}).`));
    };
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
