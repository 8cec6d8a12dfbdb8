import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { exactMatch, lcsLength, normaliseText, rougeL, ROUGE_CAP, tokenF1, tokenize } from '../../src/core/quality/text.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

describe('normalised exact match', () => {
  test('case, whitespace, trailing punctuation and NFKC width are ignored', () => {
    assert.equal(normaliseText('  The  answer\nis Paris. '), 'the answer is paris');
    assert.ok(exactMatch('Paris.', ' paris'));
    assert.ok(exactMatch('Ｐａｒｉｓ', 'paris')); // full-width letters fold under NFKC
    assert.ok(exactMatch('答案是巴黎。', '答案是巴黎'));
  });
  test('different words or inner punctuation do not match', () => {
    assert.ok(!exactMatch('Paris', 'London'));
    assert.ok(!exactMatch('3.5', '35'));
  });
});

describe('tokenize', () => {
  test('splits on punctuation and lower-cases', () => {
    assert.deepEqual(tokenize("Hello, World! it's"), ['hello', 'world', 'it', 's']);
  });
  test('CJK characters become single tokens, Latin words stay whole', () => {
    assert.deepEqual(tokenize('我喜欢猫'), ['我', '喜', '欢', '猫']);
    assert.deepEqual(tokenize('用Python写代码。'), ['用', 'python', '写', '代', '码']);
    assert.deepEqual(tokenize('カタカナ'), ['カ', 'タ', 'カ', 'ナ']);
  });
});

describe('token F1 (hand-worked)', () => {
  test('"the cat sat" vs "the cat ran" = 2/3', () => close(tokenF1('the cat sat', 'the cat ran'), 2 / 3));
  test('bags count duplicates: "a a b" vs "a b b" overlap 2 → 2/3', () => close(tokenF1('a a b', 'a b b'), 2 / 3));
  test('precision/recall differ: "a b c d" vs "a b" → P=1 R=1/2 → 2/3', () => close(tokenF1('a b c d', 'a b'), 2 / 3));
  test('order does not matter for F1', () => close(tokenF1('a b c d', 'd c b a'), 1));
  test('Chinese: 我喜欢猫 vs 我喜欢狗 = 3/4', () => close(tokenF1('我喜欢猫', '我喜欢狗'), 3 / 4));
  test('empty cases', () => {
    assert.equal(tokenF1('', ''), 1);
    assert.equal(tokenF1('', 'x'), 0);
    assert.equal(tokenF1('x', 'y'), 0);
  });
});

describe('ROUGE-L (hand-worked)', () => {
  test('LCS "the cat on the mat" = 5 of 6 each side → 5/6', () => close(rougeL('the cat sat on the mat', 'the cat lay on the mat'), 5 / 6));
  test('reversed words: LCS 1 of 4 → 1/4', () => close(rougeL('a b c d', 'd c b a'), 1 / 4));
  test('unequal lengths: "a b c" vs "a x b y c z": LCS 3, R=1, P=1/2 → 2/3', () => close(rougeL('a b c', 'a x b y c z'), 2 / 3));
  test('lcsLength on sequences', () => assert.equal(lcsLength([..."ABCBDAB"], [..."BDCABA"]), 4));
  test('long answers are capped, not exploded', () => {
    const a = Array.from({ length: ROUGE_CAP + 3000 }, (_, i) => `w${i % 50}`).join(' ');
    // Identical within the cap, different after it: the cap means only the first ROUGE_CAP tokens count.
    const b = a.split(' ').slice(0, ROUGE_CAP).join(' ') + ' zz'.repeat(3000);
    assert.equal(rougeL(a, b), 1);
  });
});
