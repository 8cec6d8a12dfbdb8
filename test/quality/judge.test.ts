import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { judgePair, judgePrompt, JudgeReplyError, parseVerdict } from '../../src/core/quality/judge.js';

const req = { model: 'gpt-4o', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Capital of France?' }] };

// A fake judge that reads the prompt and prefers whichever answer contains `good`.
function fair(good: string) {
  const prompts: string[] = [];
  const ask = async (p: string) => {
    prompts.push(p);
    const a = p.slice(p.indexOf('<answer_a>'), p.indexOf('</answer_a>'));
    const b = p.slice(p.indexOf('<answer_b>'), p.indexOf('</answer_b>'));
    return a.includes(good) === b.includes(good) ? 'TIE' : a.includes(good) ? 'A' : 'B';
  };
  return { ask, prompts };
}

describe('judge', () => {
  test('prompt carries the conversation and both answers in order', () => {
    const p = judgePrompt(req, 'ANSWER-ONE', 'ANSWER-TWO');
    assert.match(p, /user: Capital of France\?/);
    assert.ok(p.indexOf('ANSWER-ONE') < p.indexOf('ANSWER-TWO'));
    assert.match(p, /exactly one word: A .* B .* TIE/);
  });
  test('verdict parsing is strict', () => {
    assert.equal(parseVerdict(' a '), 'A');
    assert.equal(parseVerdict('**B**'), 'B');
    assert.equal(parseVerdict('"Tie".'), 'TIE');
    for (const bad of ['', 'A or B', 'Answer A', 'AB', 'I think B is better']) assert.throws(() => parseVerdict(bad), JudgeReplyError);
  });
  test('a fair judge gives the same winner both ways round: consistent', async () => {
    const j = fair('Paris');
    assert.deepEqual(await judgePair(j.ask, req, 'It is Paris.', 'It is Lyon.'), { winner: 'old', consistent: true });
    assert.equal(j.prompts.length, 2);
    // the second prompt puts the new answer first
    assert.ok(j.prompts[1]!.indexOf('Lyon') < j.prompts[1]!.indexOf('Paris.'));
    assert.deepEqual(await judgePair(fair('Paris').ask, req, 'Lyon', 'Paris'), { winner: 'new', consistent: true });
    assert.deepEqual(await judgePair(fair('Paris').ask, req, 'Paris', 'Paris!'), { winner: 'tie', consistent: true });
  });
  test('a judge that always picks position A is inconsistent and counts as a tie', async () => {
    assert.deepEqual(await judgePair(async () => 'A', req, 'x', 'y'), { winner: 'tie', consistent: false });
  });
  test('a non-verdict reply or a failing ask rejects', async () => {
    await assert.rejects(judgePair(async () => 'Both are fine', req, 'x', 'y'), JudgeReplyError);
    await assert.rejects(judgePair(async () => { throw new Error('429'); }, req, 'x', 'y'), /429/);
  });
});
