/** The import layers of docs/development.md, checked on every source file: a new upward import fails here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { ROOT } from '../helpers/ctx.js';

const SRC = join(ROOT, 'src');

/** Which layers a layer may import (a layer is a folder under src/, or a file directly in src/). */
const MAY: Record<string, readonly string[]> = {
  'errors.ts': [],
  'options.ts': [],
  'version.ts': [],
  'context.ts': [],
  types: [],
  core: ['core', 'errors.ts', 'types'],
  adapters: ['adapters', 'core', 'errors.ts', 'context.ts', 'options.ts', 'types'],
  ui: ['ui', 'core', 'errors.ts', 'context.ts', 'options.ts'],
  mock: ['mock', 'core', 'errors.ts'],
  gateway: ['gateway', 'adapters', 'core', 'errors.ts', 'context.ts', 'options.ts', 'types'],
  commands: ['commands', 'adapters', 'core', 'ui', 'mock', 'gateway', 'errors.ts', 'context.ts', 'options.ts', 'types', 'version.ts'],
  'cli.ts': ['commands', 'errors.ts', 'context.ts', 'version.ts'],
  'entry.ts': ['cli.ts', 'context.ts'],
};
/** A command may use another command's code only through commands/kit.ts, and these named exceptions. */
const CROSS_COMMAND: Record<string, readonly string[]> = { migrate: ['verify'] };

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
}
const layerOf = (file: string) => relative(SRC, file).split(sep)[0]!;
const commandOf = (file: string) => relative(SRC, file).split(sep).slice(0, 2);

/** Relative import specifiers of a file: static imports, re-exports and dynamic import(). */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) out.push(m[1]!);
  return out;
}

/** Every import that breaks the layers, as "from → to". */
export function violations(): string[] {
  const bad: string[] = [];
  for (const file of files(SRC)) {
    const from = layerOf(file);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const target = normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts');
      const to = layerOf(target);
      const rel = `${relative(ROOT, file)} → ${spec}`;
      if (from !== to && !(MAY[from] ?? []).includes(to)) bad.push(rel);
      if (from === 'commands' && to === 'commands') {
        const [, a] = commandOf(file);
        const [, b] = commandOf(target);
        if (a !== b && b !== 'kit.ts' && !(CROSS_COMMAND[a!] ?? []).includes(b!)) bad.push(rel);
      }
    }
  }
  return bad;
}

test('no source file imports a layer above it (docs/development.md, "Layers")', () => {
  assert.deepEqual(violations(), []);
});

test('the check sees static, re-exported and lazy imports', () => {
  assert.deepEqual(importsOf(`import type { A } from '../adapters/x.js';\nexport { b } from './b.js';\nconst m = await import('../../cli.js');\nimport './side.js';`), ['../adapters/x.js', './b.js', '../../cli.js', './side.js']);
});
