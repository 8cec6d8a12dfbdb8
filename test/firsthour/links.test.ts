/** The README and docs/ link only to files that exist, and every --help names a reference page that exists. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HOLY_BIN, ROOT } from '../helpers/ctx.js';
import { COMMANDS } from './examples.js';

const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

test('every relative link in README.md and docs/*.md names a file that exists', () => {
  const broken: string[] = [];
  for (const page of pages) {
    const text = readFileSync(join(ROOT, page), 'utf8');
    for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue;
      if (!existsSync(join(ROOT, dirname(page), target))) broken.push(`${page} → ${target}`);
    }
  }
  assert.deepEqual(broken, []);
});

test('the README stays a first-hour page: short, and linking every command\'s reference', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.split('\n').length <= 250, `README.md is ${readme.split('\n').length} lines`);
  for (const doc of ['verify', 'models', 'bench', 'roi', 'migrate', 'mock', 'tour', 'providers', 'gateway']) assert.match(readme, new RegExp(`\\(docs/${doc}\\.md\\)`));
});

test('every command\'s --help ends by naming its reference page, which exists', () => {
  for (const c of COMMANDS.slice(1)) {
    const help = execFileSync(process.execPath, ['--', HOLY_BIN, ...c, '--help'], { encoding: 'utf8' });
    const m = /\nReference: (docs\/[a-z]+\.md) /.exec(help);
    assert.ok(m, `holy ${c.join(' ')} --help names no reference page`);
    assert.ok(existsSync(join(ROOT, m[1]!)), `${m[1]} (holy ${c.join(' ')} --help) does not exist`);
  }
});
