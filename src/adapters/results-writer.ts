/** Streaming result files: lines go to a temp file as they arrive and it is moved into place (atomic.ts) at the end. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RuntimeError, UsageError } from '../errors.js';
import { csvLine } from '../core/csv.js';
import { moveIntoPlace, syncFile, tempBeside } from './atomic.js';

/**
 * Resolve an output file against cwd, failing with a usage error (before anything is sent) when
 * its folder does not exist or the path is itself a folder (which moveIntoPlace cannot replace).
 */
export async function checkOutputPath(cwd: string, file: string, flag: string): Promise<string> {
  const path = resolve(cwd, file);
  try {
    const s = await stat(dirname(path));
    if (!s.isDirectory()) throw new Error('not a directory');
  } catch {
    throw new UsageError(`${flag} ${file}: the folder ${dirname(file) || '.'} does not exist; create it or pick another path.`);
  }
  if ((await stat(path).catch(() => undefined))?.isDirectory()) throw new UsageError(`${flag} ${file} is a folder; give the path of a file to write (inside it, or elsewhere).`);
  return path;
}

/** A file written line by line with backpressure (never held in memory), made visible atomically by close(). */
export class LineFile {
  private readonly ws: WriteStream;
  private readonly tmp: string;
  private failed: Error | undefined;
  private drain: Promise<void> | undefined;
  lines = 0;
  private constructor(readonly path: string, readonly label: string) {
    this.tmp = tempBeside(path);
    this.ws = createWriteStream(this.tmp, { flags: 'wx', mode: 0o644 });
    this.ws.on('error', (e) => (this.failed = e));
  }

  /** Open `file` (relative to cwd) for writing; `flag` names the option in errors. */
  static async open(cwd: string, file: string, flag: string): Promise<LineFile> {
    const path = await checkOutputPath(cwd, file, flag);
    const f = new LineFile(path, file);
    await new Promise<void>((ok, ko) => {
      f.ws.once('open', () => ok());
      f.ws.once('error', (e) => ko(new UsageError(`${flag} ${file} cannot be written (${(e as NodeJS.ErrnoException).code ?? e.message}); pick another path.`)));
    });
    return f;
  }

  /** Append one line (a newline is added); waits when the OS buffer is full. */
  async write(line: string): Promise<void> {
    if (this.failed) throw new RuntimeError(`writing ${this.label} failed: ${this.failed.message}.`);
    this.lines++;
    // Concurrent writers share one wait for 'drain' (one listener, however many are waiting).
    if (!this.ws.write(line + '\n')) {
      this.drain ??= new Promise<void>((ok) =>
        this.ws.once('drain', () => {
          this.drain = undefined;
          ok();
        }),
      );
    }
    if (this.drain) await this.drain;
  }

  /** Flush, then move the temp file into place (an existing file is kept as FILE.bak). */
  async close(): Promise<void> {
    await new Promise<void>((ok, ko) => this.ws.end((e?: Error | null) => (e ? ko(e) : ok())));
    if (this.failed) throw new RuntimeError(`writing ${this.label} failed: ${this.failed.message}.`);
    await syncFile(this.tmp);
    await moveIntoPlace(this.tmp, this.path);
  }

  /** Drop the temp file (used when the run fails before anything was measured). */
  async discard(): Promise<void> {
    this.ws.destroy();
    await unlink(this.tmp).catch(() => undefined);
  }
}

/** A CSV file with a fixed header, streamed like LineFile. */
export class CsvFile {
  private constructor(private readonly file: LineFile, private readonly columns: readonly string[]) {}
  static async open(cwd: string, file: string, flag: string, columns: readonly string[]): Promise<CsvFile> {
    const f = await LineFile.open(cwd, file, flag);
    await f.write(csvLine(columns));
    return new CsvFile(f, columns);
  }
  async write(row: Record<string, unknown>): Promise<void> {
    await this.file.write(csvLine(this.columns.map((c) => row[c])));
  }
  close(): Promise<void> {
    return this.file.close();
  }
  discard(): Promise<void> {
    return this.file.discard();
  }
}
