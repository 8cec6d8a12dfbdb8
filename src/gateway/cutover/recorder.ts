/**
 * The recording (`holy gateway --record traffic.jsonl`): served requests with their answers and
 * timings as holy results lines (core/bench/record.ts), so `holy bench traffic.jsonl --old recorded
 * --new holysheep` replays real traffic. Off by default; the file is 0600; `--record-redact REGEX`
 * masks prompts and answers before a byte reaches the disk; rotated by size (docs/cutover.md, "Recording").
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CallResult } from '../../core/chat.js';
import type { Outcome } from '../../core/bench/metrics.js';
import { classifyStatus } from '../../core/bench/classify.js';
import { resultLine, type ResultLine } from '../../core/bench/record.js';
import { numberFlag } from '../../core/flags.js';
import { redact as redactKeys } from '../../core/redact.js';
import { jsonTextDepth, MAX_DEPTH, type Untrusted } from '../../core/untrusted.js';
import { UsageError } from '../../errors.js';
import type { Served } from '../contract.js';
import type { CutoverLog, CutoverMetrics } from './types.js';

export const REDACTED_TEXT = '[redacted]';

// ---------------------------------------------------------------- flags

export interface RecordFlags {
  record?: string;
  recordSample?: string;
  recordRedact?: string[];
  recordMaxMb?: string;
  recordKeep?: string;
}

export interface RecordOptions {
  /** Absolute path. */
  file: string;
  /** Share of served requests written, (0, 1]. */
  sample: number;
  redact: RegExp[];
  maxBytes: number;
  /** Rotated files kept (FILE.1 … FILE.keep). */
  keep: number;
}

/** A --record-redact value: a pattern, or /pattern/flags; always matched globally. */
export function redactPattern(src: string, flag = '--record-redact'): RegExp {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(src);
  const [body, flags] = m ? [m[1]!, m[2]!] : [src, ''];
  if (body === '') throw new UsageError(`${flag} "${src}": an empty pattern would match everywhere; give a regular expression, e.g. ${flag} '\\b\\d{16}\\b'.`);
  try {
    return new RegExp(body, flags.includes('g') ? flags : flags + 'g');
  } catch (e) {
    throw new UsageError(`${flag} "${src}" is not a valid regular expression (${(e as Error).message}); fix it, e.g. ${flag} '[\\w.+-]+@[\\w-]+\\.[\\w.]+'.`);
  }
}

/** --record and its companions → options (undefined when not recording). Every bad value names its flag. */
export function recordOptions(cwd: string, f: RecordFlags): RecordOptions | undefined {
  if (f.record === undefined) {
    const stray = (['recordSample', 'recordRedact', 'recordMaxMb', 'recordKeep'] as const).find((k) => f[k] !== undefined);
    if (stray) throw new UsageError(`--${stray.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} only applies with --record FILE; add --record traffic.jsonl or drop it.`);
    return undefined;
  }
  if (f.record.trim() === '') throw new UsageError('--record needs a file name, e.g. --record traffic.jsonl.');
  const sample = numberFlag(f.recordSample, '--record-sample', { positive: true, max: 1, example: '0.1' }) ?? 1;
  if (sample > 1) throw new UsageError(`--record-sample ${f.recordSample}: expected a share from 0 to 1, e.g. --record-sample 0.1.`);
  const mb = numberFlag(f.recordMaxMb, '--record-max-mb', { positive: true, example: '100' }) ?? 100;
  const keep = numberFlag(f.recordKeep, '--record-keep', { int: true, min: 1, example: '5' }) ?? 5;
  return { file: resolve(cwd, f.record), sample, redact: (f.recordRedact ?? []).map((r) => redactPattern(r)), maxBytes: Math.round(mb * 1024 * 1024), keep };
}

// ---------------------------------------------------------------- redaction

/** Every string inside `v` with the patterns masked (a copy; objects and arrays rebuilt). */
function maskDeep(v: unknown, res: RegExp[], depth = 0): unknown {
  if (typeof v === 'string') {
    let s = v;
    for (const r of res) s = s.replace(r, REDACTED_TEXT);
    return s;
  }
  if (depth > 64 || !v || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => maskDeep(x, res, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = maskDeep(x, res, depth + 1);
  return out;
}

/** The prompt fields of a request body (messages, input, prompt, instructions) masked; the model and settings kept. */
export function redactRequest(req: Record<string, unknown>, res: RegExp[]): Record<string, unknown> {
  if (!res.length) return req;
  const out = { ...req };
  for (const k of ['messages', 'input', 'prompt', 'instructions']) if (k in out) out[k] = maskDeep(out[k], res);
  return out;
}

/** A results line with its prompt, answer (text and tool-call arguments) and error texts masked. */
export function redactLine(l: ResultLine, res: RegExp[]): ResultLine {
  if (!res.length) return l;
  const body = l.response?.body as Record<string, unknown> | null | undefined;
  const maskedBody = body && typeof body === 'object' ? { ...body, ...('choices' in body ? { choices: maskDeep(body.choices, res) } : {}), ...('error' in body ? { error: maskDeep(body.error, res) } : {}) } : body;
  return {
    ...l,
    request: redactRequest(l.request, res),
    error: l.error === null ? null : (maskDeep(l.error, res) as string),
    response: l.response && { ...l.response, body: maskedBody ?? null, error: l.response.error && (maskDeep(l.response.error, res) as ResultLine['response']['error']) },
  };
}

// ---------------------------------------------------------------- results lines

/** The chat.completion a served answer amounts to (what `--old recorded` reads as the baseline). */
function completionOf(s: Served): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: s.text ?? null };
  if (s.toolCalls?.length) message.tool_calls = s.toolCalls;
  const body: Record<string, unknown> = {
    id: s.requestId, object: 'chat.completion', created: Math.floor(s.startedAt / 1000), model: s.modelServed,
    choices: [{ index: 0, message, finish_reason: s.finishReason ?? null }],
  };
  if (s.usage) body.usage = { prompt_tokens: s.usage.inputTokens, completion_tokens: s.usage.outputTokens, total_tokens: s.usage.inputTokens + s.usage.outputTokens, prompt_tokens_details: { cached_tokens: s.usage.cachedTokens } };
  return body;
}

/** Where the lines say they came from (bench shows `file:line` for the worst pairs). */
export interface LineSource {
  file: string;
  line: number;
}

/** A served request as a results line (`role` old for a recording; the primary's half of a shadow pair). */
export function servedLine(s: Served, role: 'old' | 'new', src: LineSource): ResultLine {
  const stream = s.request.stream === true;
  const o: Outcome = { ok: s.ok, itl: [], stream, sentModel: s.modelServed, responseModel: s.modelServed, retries: 0, retryWaitMs: 0, startMs: 0, endMs: s.e2eMs, e2eMs: s.e2eMs };
  if (s.ttfbMs !== undefined) o.ttfbMs = s.ttfbMs;
  if (s.ttftMs !== undefined) o.ttftMs = s.ttftMs;
  if (!s.ok) o.errorClass = s.httpStatus ? classifyStatus(s.httpStatus, undefined) : 'reset';
  if (s.usage) {
    o.promptTokens = s.usage.inputTokens;
    o.outputTokens = s.usage.outputTokens;
    o.outputTokensSource = s.usage.estimated ? 'local' : 'server';
  }
  const model = typeof s.request.model === 'string' ? s.request.model : s.modelServed;
  const line = resultLine({
    id: s.requestId, role, provider: s.provider, file: src.file, line: src.line, pair: src.line, model, request: s.request, status: s.httpStatus,
    startedAt: s.startedAt, body: s.ok ? completionOf(s) : null, ...(s.error ? { errorMessage: s.error } : {}), outcome: o,
  });
  return { ...line, ...{ tenant: s.tenant, arm: s.arm } };
}

/** A shadow call (wire.ts's result) as the `new` half of a pair. */
export function callLine(c: CallResult, body: Record<string, unknown>, a: { id: string; provider: string; startedAt: number; model: string } & LineSource): ResultLine {
  const o: Outcome = { ok: c.ok, itl: c.itl, stream: c.stream, sentModel: String(body.model), retries: 0, retryWaitMs: 0, startMs: 0, endMs: c.e2eMs ?? 0 };
  if (c.errorClass) o.errorClass = c.errorClass;
  if (c.ttfbMs !== undefined) o.ttfbMs = c.ttfbMs;
  if (c.ttftMs !== undefined) o.ttftMs = c.ttftMs;
  if (c.e2eMs !== undefined) o.e2eMs = c.e2eMs;
  if (c.responseModel) o.responseModel = c.responseModel;
  if (c.stream) o.usageSeen = c.usageSeen;
  if (typeof c.usage?.prompt_tokens === 'number') o.promptTokens = c.usage.prompt_tokens;
  if (typeof c.usage?.completion_tokens === 'number') {
    o.outputTokens = c.usage.completion_tokens;
    o.outputTokensSource = 'server';
    if (o.e2eMs !== undefined && o.ttftMs !== undefined && o.outputTokens >= 2) o.tpotMs = (o.e2eMs - o.ttftMs) / (o.outputTokens - 1);
  }
  return resultLine({
    id: a.id, role: 'new', provider: a.provider, file: a.file, line: a.line, pair: a.line, model: a.model, request: body, status: c.status,
    startedAt: a.startedAt, body: c.completion ?? null, ...(c.errorMessage ? { errorMessage: c.errorMessage } : {}), outcome: o,
  });
}

// ---------------------------------------------------------------- the file

/**
 * An append-only JSONL file, mode 0600, rotated by size: FILE → FILE.1 → … → FILE.keep (the oldest
 * dropped). Writes are queued and flushed in batches; the queue is bounded (a disk slower than the
 * traffic drops lines and counts them rather than holding memory without bound). Never throws into
 * the caller.
 */
export class RotatingFile {
  private fh: FileHandle | undefined;
  private size = 0;
  private queue: string[] = [];
  private queuedBytes = 0;
  private queuedLines = 0;
  private flushing: Promise<void> | undefined;
  private failed: string | undefined;
  written = 0;
  dropped = 0;
  /** Writes made to the file (each a batch of lines). */
  writes = 0;
  rotations = 0;

  private constructor(readonly path: string, private readonly maxBytes: number, private readonly keep: number, private readonly onDrop: (reason: string) => void, private readonly maxQueueBytes: number) {}

  static async open(path: string, o: { maxBytes: number; keep: number; onDrop?: (reason: string) => void; maxQueueBytes?: number; flag?: string }): Promise<RotatingFile> {
    const f = new RotatingFile(path, o.maxBytes, o.keep, o.onDrop ?? (() => {}), o.maxQueueBytes ?? 16 * 1024 * 1024);
    try {
      await f.openFile();
    } catch (e) {
      throw new UsageError(`${o.flag ?? '--record'} ${path} cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pick a path in a folder you can write.`);
    }
    return f;
  }

  private async openFile(): Promise<void> {
    const fh = await open(this.path, 'a', 0o600);
    // An existing file keeps its mode on open: make it private too.
    await fh.chmod(0o600);
    this.size = (await fh.stat()).size;
    this.fh = fh;
  }

  /**
   * Queue one line (or `lines` lines joined by "\n"); false when it was dropped (queue full, or the
   * file failed). What is queued in one turn of the event loop goes out in one write.
   */
  write(line: string, lines = 1): boolean {
    if (this.failed || !this.fh) return this.drop(this.failed ? 'write_error' : 'closed', lines);
    const text = line + '\n';
    if (this.queuedBytes + text.length > this.maxQueueBytes) return this.drop('backlog', lines);
    this.queue.push(text);
    this.queuedLines += lines;
    this.queuedBytes += text.length;
    this.flushing ??= new Promise<void>((ok) => setImmediate(ok)).then(() => this.flush()).finally(() => (this.flushing = undefined));
    return true;
  }

  private drop(reason: string, lines = 1): boolean {
    this.dropped += lines;
    this.onDrop(reason);
    return false;
  }

  private async flush(): Promise<void> {
    while (this.queue.length && this.fh) {
      const batch = this.queue.join('');
      const lines = this.queuedLines;
      this.queue = [];
      this.queuedBytes = 0;
      this.queuedLines = 0;
      const buf = Buffer.from(batch);
      try {
        if (this.size > 0 && this.size + buf.length > this.maxBytes) await this.rotate();
        this.writes++;
        await this.fh.write(buf);
        this.size += buf.length;
        this.written += lines;
      } catch (e) {
        this.failed = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        this.dropped += lines;
        this.onDrop('write_error');
      }
    }
  }

  private async rotate(): Promise<void> {
    await this.fh!.close();
    this.fh = undefined;
    await rm(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(() => undefined);
    await rename(this.path, `${this.path}.1`);
    this.rotations++;
    await this.openFile();
  }

  /** Why writing stopped, if it did. */
  get error(): string | undefined {
    return this.failed;
  }

  /** Wait until what is queued is written. */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Write what is queued, then close. */
  async close(): Promise<void> {
    await this.idle();
    await this.fh?.close();
    this.fh = undefined;
  }
}

// ---------------------------------------------------------------- the recorder

export interface RecorderOptions extends RecordOptions {
  metrics: CutoverMetrics;
  log: CutoverLog;
  /** Keys holy holds: never written (a client may paste one into a prompt). */
  untrusted?: Untrusted;
  random?: () => number;
}

// What stripControls() would remove, as it shows in JSON text: C0 controls are escaped (\b \f \r \u00XX;
// tab and newline are kept by the policy), DEL, C1 and the bidi marks stay raw.
const JSON_CONTROL = /\\u00[01][0-9a-fA-F]|\\[bfr]|[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u061c]/;

/** Could the JSON text nest `depth` deep? Not when it holds fewer opening brackets than that (counted natively); else measured. */
function mayNest(text: string, depth: number): boolean {
  let n = 0;
  for (const c of ['{', '[']) for (let i = text.indexOf(c); i >= 0 && n < depth; i = text.indexOf(c, i + 1)) n++;
  return n >= depth && jsonTextDepth(text) >= depth;
}

/**
 * Clean a line before it is written: patterns masked, then every known key and key-shaped text, and
 * control characters stripped. The line is serialised first and its text checked in one pass; only a
 * text that holds a key, a control character or a nesting near the cap is cleaned string by string
 * (Untrusted.value), so a clean line (nearly all of them) costs one JSON.stringify and a few scans.
 */
export function cleanLine(l: ResultLine, res: RegExp[], u: Untrusted | undefined): string {
  const masked = redactLine(l, res);
  let text = JSON.stringify(masked);
  if (u && (!u.jsonPlain || JSON_CONTROL.test(text) || u.redact(text) !== text || mayNest(text, MAX_DEPTH))) text = JSON.stringify(u.value(masked));
  return redactKeys(text);
}

/** `--record`: samples served chat requests into the file. */
export class Recorder {
  private seq = 0;
  private constructor(private readonly o: RecorderOptions, readonly file: RotatingFile) {}

  static async open(o: RecorderOptions): Promise<Recorder> {
    const file = await RotatingFile.open(o.file, { maxBytes: o.maxBytes, keep: o.keep, onDrop: (reason) => o.metrics.count('record_dropped', { reason }) });
    o.log('info', 'record_start', { file: o.file, sample: o.sample, redact: o.redact.length, maxBytes: o.maxBytes });
    return new Recorder(o, file);
  }

  /** One served request (chat only: an embeddings answer's vectors are not kept). Never throws. */
  served(s: Served): void {
    if (s.endpoint !== 'chat') return;
    if (this.o.sample < 1 && (this.o.random ?? Math.random)() >= this.o.sample) return;
    try {
      const line = servedLine(s, 'old', { file: 'gateway', line: ++this.seq });
      if (this.file.write(cleanLine(line, this.o.redact, this.o.untrusted))) this.o.metrics.count('record_lines');
    } catch (e) {
      this.o.metrics.count('record_dropped', { reason: 'error' });
      this.o.log('warn', 'record_error', { error: (e as Error).message });
    }
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
