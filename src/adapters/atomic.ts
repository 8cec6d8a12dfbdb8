/**
 * The one way holy replaces a file: write a temp file beside it, fsync it, rename it over the path,
 * fsync the folder. Readers see the old file or the new one, never half of either and never no
 * file. The env writer (envwriter.ts), the results files and the HTML report all go through here.
 *
 * Hand-written rather than `write-file-atomic`: that package writes a whole buffer only (the result
 * files are streamed line by line, never held in memory), does not fsync the folder, and keeps no
 * backup; what it does is these few calls.
 */
import { copyFile, open, rename, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A temp file name beside `path` (same folder, so renaming it into place is atomic). */
export function tempBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Write `data` to a new file (`wx`: never an existing one) and fsync it. */
export async function writeNew(path: string, data: string, mode: number): Promise<void> {
  const fh = await open(path, 'wx', mode);
  try {
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync a file that was written through a stream. */
export async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Make a rename durable; directories cannot be opened for sync on Windows (and some filesystems refuse). */
export async function syncDir(dir: string, platform?: NodeJS.Platform): Promise<void> {
  if (platform === 'win32') return;
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* the rename already happened */
  }
}

/**
 * Move the synced temp file `tmp` onto `path`. An existing file there is first copied to PATH.bak
 * (results and reports are outputs a rerun can remake, so one backup is kept, replaced each time;
 * env files get timestamped 0600 backups instead, envwriter.backupFile). Copy, not rename: the path
 * holds a file at every moment.
 */
export async function moveIntoPlace(tmp: string, path: string): Promise<void> {
  if ((await stat(path).catch(() => undefined))?.isFile()) await copyFile(path, `${path}.bak`);
  await rename(tmp, path);
  await syncDir(dirname(path));
}
