/** The README's examples, and `holy --help`'s "Start here" lines no command's help repeats. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS, everyExample, runExamples } from './examples-run.js';

const { readme, help } = everyExample();

test('the README and every command\'s --help have examples to run', () => {
  assert.ok(readme.length >= 4, `${readme.length} README examples`);
  assert.ok(help.length >= 40, `${help.length} --help examples`);
  for (const name of COMMANDS.slice(1)) assert.ok(help.some((e) => e.where === `holy ${[...name, '--help'].join(' ')}`), `holy ${name.join(' ')} --help has examples`);
});

runExamples('README and holy --help examples work as written', [...readme, ...help.filter((e) => e.where === 'holy --help')]);
