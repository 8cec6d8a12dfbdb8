/**
 * Embedding requests in recorded traffic: Batch input lines and HAR entries to /v1/embeddings (the chat reader
 * skips and counts them), joined with Batch output responses, and holy results lines with "endpoint": "embeddings".
 */
import { resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { UsageError } from '../../errors.js';
import { metaOf } from '../../core/traffic/meta.js';
import { checkFile, lines, wholeText } from './files.js';
import { harEntries, recordedOf, type HarEntry } from './har.js';
import { batchOutput, detectFormat, endpointOf, holyRecorded, parseLine } from './records.js';
import type { RecordedResponse } from './types.js';

/** An embeddings request body: a model and a non-empty input (text, texts, or token arrays). */
export type EmbeddingBody = Record<string, unknown> & { model: string; input: unknown };

export interface EmbeddingItem {
  id: string;
  file: string;
  line: number;
  body: EmbeddingBody;
  recorded?: RecordedResponse;
}

export function isEmbeddingsPath(url: string): boolean {
  return endpointOf(url).replace(/\/+$/, '').endsWith('/embeddings');
}

/** Check an embeddings body, or say why it cannot be replayed. */
export function checkEmbeddingBody(b: unknown): { ok: EmbeddingBody } | { problem: string } {
  if (!b || typeof b !== 'object' || Array.isArray(b)) return { problem: 'no request body object' };
  const o = b as Record<string, unknown>;
  if (typeof o.model !== 'string' || !o.model.trim()) return { problem: 'embeddings request without a "model"' };
  const i = o.input;
  const ok = typeof i === 'string' ? i.length > 0 : Array.isArray(i) && i.length > 0;
  if (!ok) return { problem: 'embeddings request without an "input" (a string or a non-empty array)' };
  return { ok: o as EmbeddingBody };
}

/** Every embeddings request in the files, in file order (problems are counted, not thrown). */
export async function readEmbeddings(ctx: Ctx, files: string[]): Promise<{ items: EmbeddingItem[]; problems: number }> {
  const items: EmbeddingItem[] = [];
  const outputs = new Map<string, RecordedResponse>();
  let problems = 0;
  const sources = files.map((shown) => ({ shown, path: resolve(ctx.cwd, shown), ...checkFile(resolve(ctx.cwd, shown), shown) }));
  const jsonl: typeof sources = [];
  for (const s of sources) {
    if (/\.har(\.gz)?$/i.test(s.shown)) {
      let doc: unknown;
      try {
        doc = JSON.parse(await wholeText(s.path, s.gzip));
      } catch {
        throw new UsageError(`${s.shown} is not valid JSON, so it cannot be read as a HAR file; export it again.`);
      }
      const h = harEntries(doc);
      if ('problem' in h) continue;
      h.entries.forEach((raw, i) => {
        const e = raw as HarEntry;
        const url = typeof e?.request?.url === 'string' ? e.request.url : '';
        if (String(e?.request?.method ?? '').toUpperCase() !== 'POST' || !isEmbeddingsPath(url)) return;
        let body: unknown;
        try {
          body = JSON.parse(String(e.request?.postData?.text ?? ''));
        } catch {
          return void problems++;
        }
        const b = checkEmbeddingBody(body);
        if ('problem' in b) return void problems++;
        const rec = recordedOf(e);
        items.push({ id: `${s.shown}#${i + 1}`, file: s.shown, line: i + 1, body: b.ok, ...(rec ? { recorded: rec } : {}) });
      });
    } else jsonl.push(s);
  }
  // Batch outputs first, so input lines can be joined as they stream past.
  const parsed: Array<{ src: (typeof sources)[number]; line: number; obj: Record<string, unknown> }> = [];
  for (const s of jsonl) {
    for await (const { line, text } of lines(s.path, s.gzip, s.shown)) {
      const p = parseLine(text);
      if (!('obj' in p) || metaOf(p.obj)) continue;
      const f = detectFormat(p.obj);
      if (f === 'batch-output') {
        const r = batchOutput(p.obj);
        if ('ok' in r) outputs.set(r.ok.id, r.ok.recorded);
      } else if (f === 'batch-input' && typeof p.obj.url === 'string' && isEmbeddingsPath(p.obj.url)) parsed.push({ src: s, line, obj: p.obj });
      else if (f === 'holy-results' && p.obj.endpoint === 'embeddings' && p.obj.role !== 'new') parsed.push({ src: s, line, obj: p.obj });
    }
  }
  for (const { src, line, obj } of parsed) {
    const holy = obj.endpoint === 'embeddings';
    const b = checkEmbeddingBody(holy ? obj.request : obj.body);
    if ('problem' in b) {
      problems++;
      continue;
    }
    const id = holy ? String(obj.id ?? `${src.shown}:${line}`) : String(obj.custom_id);
    const rec = holy ? holyRecorded(obj) : outputs.get(id);
    items.push({ id, file: src.shown, line, body: b.ok, ...(rec ? { recorded: rec } : {}) });
  }
  return { items, problems };
}
