import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { comparePair, isJsonMode, leastSimilar, summariseQuality, viewFromCompletion, type PairScores } from '../../src/core/quality/compare.js';
import { canonicalJson, jsonEqual, jsonSimilarity } from '../../src/core/quality/json.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);
const text = (content: string | null, finishReason = 'stop') => ({ content, finishReason });
const call = (name: string, args: string) => ({ content: null, toolCalls: [{ name, arguments: args }], finishReason: 'tool_calls' });

describe('JSON structural equality', () => {
  test('key order and number spelling do not matter, array order does', () => {
    assert.ok(jsonEqual(JSON.parse('{"a":1,"b":[1,2]}'), JSON.parse('{"b":[1,2.0],"a":1.0e0}')));
    assert.ok(!jsonEqual([1, 2], [2, 1]));
    assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: null }));
    assert.ok(!jsonEqual({ a: '1' }, { a: 1 }));
    assert.ok(!jsonEqual([], {}));
    assert.equal(canonicalJson({ b: 1, a: [true, null] }), '{"a":[true,null],"b":1}');
  });
  test('similarity: {a:1,b:2} vs {a:1,b:3} agree on one of two leaves → 1/2', () => close(jsonSimilarity({ a: 1, b: 2 }, { a: 1, b: 3 }), 0.5));
  test('similarity: reworded strings earn their text similarity, missing keys nothing', () => {
    // leaf $.answer: F1 2/3, ROUGE-L 2/3 → 2/3; $.ok equal → 1; mean over 2 paths = 5/6
    close(jsonSimilarity({ answer: 'the cat sat', ok: true }, { answer: 'the cat ran', ok: true }), 5 / 6);
    // union of paths {a, b, c}: a equal, b and c each missing on one side → 1/3
    close(jsonSimilarity({ a: 1, b: 2 }, { a: 1, c: 2 }), 1 / 3);
    assert.equal(jsonSimilarity({ n: 1 }, { n: '1' }), 0);
    assert.equal(jsonSimilarity({}, []), 0);
  });
});

describe('comparePair', () => {
  test('plain text: "the cat sat" vs "the cat ran" → F1 2/3, ROUGE-L 2/3, similarity their mean', () => {
    const s = comparePair(text('the cat sat'), text('the cat ran'), { jsonMode: false });
    close(s.tokenF1, 2 / 3);
    close(s.rougeL, 2 / 3);
    close(s.similarity, 2 / 3);
    assert.equal(s.exact, false);
    assert.equal(s.lengthRatio, 1);
    assert.equal(s.finishParity, true);
    assert.equal(s.json, undefined);
    assert.equal(s.tools, undefined);
  });
  test('normalised exact match scores 1; finish_reason and length are compared', () => {
    const s = comparePair(text('Paris.'), text('paris', 'length'), { jsonMode: false });
    assert.equal(s.exact, true);
    assert.equal(s.similarity, 1);
    assert.equal(s.finishParity, false);
    close(s.lengthRatio, 5 / 6);
  });
  test('JSON mode: equal structures score 1 whatever the key order', () => {
    const s = comparePair(text('{"name":"Ann","age":30}'), text('{ "age": 30.0, "name": "Ann" }'), { jsonMode: true });
    assert.deepEqual(s.json, { validA: true, validB: true, equal: true });
    assert.equal(s.similarity, 1);
  });
  test('JSON mode: one invalid side scores 0; partial agreement scores the leaf F1', () => {
    const bad = comparePair(text('{"a":1}'), text('```json\n{"a":1}\n```'), { jsonMode: true });
    assert.deepEqual(bad.json, { validA: true, validB: false, equal: false });
    assert.equal(bad.similarity, 0);
    const part = comparePair(text('{"a":1,"b":2}'), text('{"a":1,"b":3}'), { jsonMode: true });
    assert.equal(part.json?.equal, false);
    close(part.similarity, 0.5);
  });
  test('tool calls: same name and arguments (any key order) → 1', () => {
    const s = comparePair(call('get_weather', '{"city":"Paris","unit":"c"}'), call('get_weather', '{"unit":"c","city":"Paris"}'), { jsonMode: false });
    assert.deepEqual(s.tools, { namesEqual: true, argsEqual: true });
    assert.equal(s.similarity, 1);
  });
  test('tool calls: right tool, one of two arguments wrong → 0.5 + 0.5 × 1/2 = 0.75', () => {
    const s = comparePair(call('get_weather', '{"city":"Paris","unit":"c"}'), call('get_weather', '{"city":"Lyon","unit":"c"}'), { jsonMode: false });
    assert.deepEqual(s.tools, { namesEqual: true, argsEqual: false });
    close(s.similarity, 0.75);
  });
  test('tool calls: wrong tool or no tool call → 0', () => {
    assert.equal(comparePair(call('get_weather', '{}'), call('get_time', '{}'), { jsonMode: false }).similarity, 0);
    const s = comparePair(call('get_weather', '{}'), text('It is sunny.'), { jsonMode: false });
    assert.deepEqual(s.tools, { namesEqual: false, argsEqual: false });
    assert.equal(s.similarity, 0);
    assert.equal(s.finishParity, false);
  });
  test('parallel calls in a different order still match', () => {
    const a = { content: null, toolCalls: [{ name: 'a', arguments: '{"x":1}' }, { name: 'b', arguments: '{}' }] };
    const b = { content: null, toolCalls: [{ name: 'b', arguments: '{}' }, { name: 'a', arguments: '{"x":1.0}' }] };
    assert.equal(comparePair(a, b, { jsonMode: false }).similarity, 1);
  });
});

describe('viewFromCompletion and isJsonMode', () => {
  test('reads content, tool calls and finish_reason of the first choice', () => {
    const v = viewFromCompletion({
      object: 'chat.completion',
      choices: [{ index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] } }],
    });
    assert.deepEqual(v, { content: null, finishReason: 'tool_calls', toolCalls: [{ name: 'f', arguments: '{"a":1}' }] });
    assert.deepEqual(viewFromCompletion({ choices: [{ finish_reason: 'stop', message: { content: 'hi' } }] }), { content: 'hi', finishReason: 'stop' });
  });
  test('anything else gives an empty view instead of throwing', () => {
    for (const junk of [null, undefined, 'text', 42, {}, { choices: [] }, { choices: [null] }]) assert.deepEqual(viewFromCompletion(junk), { content: null });
  });
  test('JSON mode is json_object or json_schema', () => {
    assert.ok(isJsonMode({ response_format: { type: 'json_object' } }));
    assert.ok(isJsonMode({ response_format: { type: 'json_schema', json_schema: {} } }));
    assert.ok(!isJsonMode({ response_format: { type: 'text' } }));
    assert.ok(!isJsonMode({}));
  });
});

describe('summariseQuality and leastSimilar', () => {
  const mk = (similarity: number, extra: Partial<PairScores> = {}): PairScores => ({ exact: similarity === 1, tokenF1: similarity, rougeL: similarity, finishParity: true, lengthRatio: 1, similarity, ...extra });
  test('means and rates, hand-worked', () => {
    const s = summariseQuality([mk(1), mk(0.5, { finishParity: false, lengthRatio: 2 }), mk(0.2, { json: { validA: true, validB: false, equal: false } })], 0.5);
    assert.equal(s.pairs, 3);
    close(s.meanSimilarity, 1.7 / 3);
    close(s.shareAboveThreshold, 2 / 3); // 1 and 0.5 are ≥ 0.5
    close(s.exactRate, 1 / 3);
    close(s.finishParityRate, 2 / 3);
    close(s.meanLengthRatio, 4 / 3);
    assert.deepEqual(s.jsonValidRate, { old: 1, new: 0 }); // over the one JSON pair only
    assert.equal(s.jsonEqualRate, 0);
    assert.equal(s.toolNameMatchRate, undefined);
  });
  test('no pairs → zeros, no NaN', () => {
    const s = summariseQuality([], 0.8);
    assert.equal(s.pairs, 0);
    assert.equal(s.meanSimilarity, 0);
  });
  test('leastSimilar keeps the n lowest, lowest first, stable on ties', () => {
    const items = [0.9, 0.1, 0.5, 0.1, 0.7, 0.0].map((similarity, i) => ({ id: i, similarity }));
    assert.deepEqual(leastSimilar(items, 3).map((x) => x.id), [5, 1, 3]);
    assert.deepEqual(leastSimilar(items, 0), []);
    assert.equal(leastSimilar(items, 10).length, 6);
  });
});
