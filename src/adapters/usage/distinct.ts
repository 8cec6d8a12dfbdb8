/**
 * The same usage file given twice doubles every figure without a word; so does a copy of it under
 * another name. Inputs are made distinct before anything is read: by resolved path, then by content
 * (SHA-256, computed only for files whose sizes collide, so the usual run reads nothing twice);
 * SQLite ledgers by their ledger id, while they are read.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { UsageError } from '../../errors.js';
import { isSqliteHeader } from '../sqlite.js';

export interface DistinctInputs {
  /** The inputs to read, each once, in the order given. */
  files: string[];
  /** One sentence per input left out, for stderr. */
  notes: string[];
}

/** Leave out repeated inputs; "-" (stdin) more than once is a usage error: stdin can be read once. */
export async function distinctInputs(ctx: Ctx, files: string[]): Promise<DistinctInputs> {
  if (files.filter((f) => f === '-').length > 1) {
    throw new UsageError('"-" (stdin) is given more than once; stdin can be read only once, so pass "-" once.');
  }
  const notes: string[] = [];
  const byPath = new Map<string, string>();
  const kept: string[] = [];
  const bySize = new Map<number, { file: string; path: string }[]>();
  for (const file of files) {
    if (file === '-') {
      kept.push(file);
      continue;
    }
    const path = await realpath(resolve(ctx.cwd, file)).catch(() => resolve(ctx.cwd, file));
    const first = byPath.get(path);
    if (first !== undefined) {
      notes.push(`${file} is the same file as ${first}, given twice; it is read once (each row counted once).`);
      continue;
    }
    byPath.set(path, file);
    kept.push(file);
    // A file that cannot be stat'ed is left for the reader, which names the problem.
    const st = await stat(path).catch(() => null);
    if (st?.isFile()) bySize.set(st.size, [...(bySize.get(st.size) ?? []), { file, path }]);
  }
  const dropped = new Set<string>();
  for (const group of bySize.values()) {
    if (group.length < 2) continue;
    const byHash = new Map<string, string>();
    for (const s of group) {
      // Gateway ledgers are told apart by their ledger id and request ids instead (adapters/usage/read.ts):
      // SQLite files often share a size (whole pages), and a copy of a live ledger differs in bytes anyway.
      if (await isSqliteFile(s.path)) continue;
      const hash = await sha256(s.path);
      const first = byHash.get(hash);
      if (first === undefined) byHash.set(hash, s.file);
      else {
        dropped.add(s.file);
        notes.push(`${s.file} has the same content as ${first} (SHA-256 ${hash.slice(0, 12)}…); it is read once (each row counted once).`);
      }
    }
  }
  return { files: kept.filter((f) => !dropped.has(f)), notes };
}

async function isSqliteFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return false;
  try {
    const b = Buffer.alloc(16);
    const { bytesRead } = await fh.read(b, 0, 16, 0);
    return isSqliteHeader(b.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

function sha256(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => res(h.digest('hex')))
      .on('error', rej);
  });
}
