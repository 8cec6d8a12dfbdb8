/** Loading the price table: built-in, or overridden by --prices FILE. */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Ctx } from '../context.js';
import { UsageError } from '../errors.js';
import { builtinPriceTable, parsePriceFile, type PriceTable } from '../core/prices.js';

/** The built-in table, with `file`'s rows laid over it when given; rows from the file are dated by its mtime. */
export async function loadPriceTable(ctx: Ctx, file?: string, base?: PriceTable): Promise<PriceTable> {
  if (!file) return base ?? builtinPriceTable();
  const path = resolve(ctx.cwd, file);
  let text: string;
  let date: string;
  try {
    text = await readFile(path, 'utf8');
    date = (await stat(path)).mtime.toISOString().slice(0, 10);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--prices ${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}; pass a holy or LiteLLM price JSON file.`);
  }
  return parsePriceFile(text, file, base ?? builtinPriceTable(), date);
}
