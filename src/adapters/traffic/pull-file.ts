/**
 * The file `holy traffic pull` writes: appended line by line (not written to a temp file and renamed), so an
 * interrupted pull leaves every completion it got on disk, and the next run resumes from it without duplicates.
 */
import { open, rename, stat, truncate, type FileHandle } from 'node:fs/promises';
import { openSync, readSync, closeSync } from 'node:fs';
import { UsageError, RuntimeError } from '../../errors.js';
import { metaLine, metaOf, type MetaRecord, type PullHeader } from '../../core/traffic/meta.js';
import { lines } from './files.js';

/** What an existing pull file holds. */
export interface PullState {
  header: PullHeader;
  ids: Set<string>;
  /** The last completion written: the cursor to continue after. */
  lastId: string | undefined;
  /** Completions in the file. */
  count: number;
  complete: boolean;
  /** Bytes of a half-written last line that resume cut off. */
  droppedBytes: number;
}

/** Size of the trailing text after the last newline (a line cut off mid-write). */
function partialTail(path: string, size: number): number {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(Math.min(size, 1 << 20));
    let pos = size;
    let tail = 0;
    while (pos > 0) {
      const len = Math.min(b.length, pos);
      pos -= len;
      readSync(fd, b, 0, len, pos);
      const nl = b.subarray(0, len).lastIndexOf(0x0a);
      if (nl >= 0) return tail + (len - nl - 1);
      tail += len;
    }
    return tail;
  } finally {
    closeSync(fd);
  }
}

/**
 * Read an existing --out file: undefined when it does not exist or is empty; a usage error when it is not a
 * pull in progress (it is left untouched). A half-written last line is cut off (the file is holy's own).
 */
export async function readPullFile(path: string, shown: string): Promise<PullState | undefined> {
  const s = await stat(path).catch(() => undefined);
  if (!s) return undefined;
  if (s.isDirectory()) throw new UsageError(`--out ${shown} is a folder; give the path of a file to write.`);
  if (s.size === 0) return undefined;
  const notOurs = `--out ${shown} already exists and is not a holy traffic pull; pick another --out, or move that file away.`;
  let header: PullHeader | undefined;
  for await (const { text } of lines(path, false, shown)) {
    try {
      const m = metaOf(JSON.parse(text) as Record<string, unknown>);
      if (m?.kind === 'traffic-pull') header = m;
    } catch {
      /* not ours */
    }
    break;
  }
  if (!header) throw new UsageError(notOurs);
  // Only now that the file is known to be holy's own may its cut-off last line be dropped.
  const cut = partialTail(path, s.size);
  if (cut > 0) await truncate(path, s.size - cut);
  const ids = new Set<string>();
  let lastId: string | undefined;
  let complete = false;
  let usable = 0;
  let first = true;
  for await (const { line, text } of lines(path, false, shown)) {
    if (first) {
      first = false;
      continue;
    }
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new UsageError(`--out ${shown}:${line} is not valid JSON, so the pull cannot resume from it safely; move the file away and pull again.`);
    }
    const m = o && typeof o === 'object' ? metaOf(o) : undefined;
    if (m?.kind === 'traffic-pull-end') complete = true;
    else if (typeof o.id === 'string') {
      ids.add(o.id);
      lastId = o.id;
      usable++;
    }
  }
  return { header, ids, lastId, count: usable, complete, droppedBytes: cut };
}

/** An append-only line file; every line reaches the OS before write() resolves. */
export class AppendLines {
  private constructor(private readonly fh: FileHandle, readonly shown: string) {}

  /** Start a new file (an existing one kept as FILE.bak when `replace`), or append to a pull in progress. */
  static async open(path: string, shown: string, how: 'new' | 'replace' | 'append'): Promise<AppendLines> {
    if (how === 'replace' && (await stat(path).catch(() => undefined))?.isFile()) await rename(path, `${path}.bak`);
    try {
      return new AppendLines(await open(path, how === 'append' ? 'a' : 'w', 0o644), shown);
    } catch (e) {
      throw new UsageError(`--out ${shown} cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pick another path.`);
    }
  }

  async write(line: string): Promise<void> {
    try {
      await this.fh.write(line + '\n');
    } catch (e) {
      throw new RuntimeError(`writing ${this.shown} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); what was written so far is kept, run the same command again to resume.`);
    }
  }

  meta(m: MetaRecord): Promise<void> {
    return this.write(metaLine(m));
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
