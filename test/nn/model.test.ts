import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { MODEL_DEFAULTS, buildModel, oneHotWindows, resolveConfig } from '../../lib/nn/model';
import { predictScores } from '../../lib/nn/predict';

function weightsOf(net: tf.LayersModel): Float32Array[] {
  return net.getWeights().map((w) => w.dataSync() as Float32Array);
}

test('shapes and parameter counts follow the configured sizes', async () => {
  const { net, config } = await buildModel({ vocabSize: 7, n: 4, embedding: 3, hidden: 5, seed: 1 });
  assert.deepEqual(net.inputs[0].shape, [null, 4, 7]);
  assert.deepEqual(net.outputs[0].shape, [null, 7]);
  // embedding 7x3 (no bias) + LSTM 4 gates x (5 x (3 + 5) + 5) + softmax 5x7 + 7.
  assert.equal(net.countParams(), 21 + 4 * (5 * 8 + 5) + 42);
  assert.equal(config.layers, 1);
  const two = await buildModel({ vocabSize: 7, n: 4, embedding: 3, hidden: 5, layers: 2 });
  // A second LSTM layer reads the first's 5 outputs: 4 x (5 x (5 + 5) + 5) more.
  assert.equal(two.net.countParams(), 243 + 4 * (5 * 10 + 5));
});

test('defaults fill what is not given, and bad sizes are refused', () => {
  assert.deepEqual(resolveConfig({ vocabSize: 30 }), { ...MODEL_DEFAULTS, vocabSize: 30 });
  assert.throws(() => resolveConfig({ vocabSize: 30, hidden: 0 }), /hidden must be a positive integer/);
  assert.throws(() => resolveConfig({ vocabSize: 2.5 }), /vocabSize/);
});

test('one-hot input: one 1 per token, at its id', () => {
  const config = resolveConfig({ vocabSize: 4, n: 2 });
  const x = oneHotWindows(Int32Array.from([0, 3, 2, 2, 1, 0]), config, 1, 3);
  assert.deepEqual(x.shape, [2, 2, 4]);
  assert.deepEqual(x.arraySync(), [
    [[0, 0, 1, 0], [0, 0, 1, 0]],
    [[0, 1, 0, 0], [1, 0, 0, 0]],
  ]);
});

test('the same seed gives the same initial weights, another seed others', async () => {
  const opts = { vocabSize: 6, n: 3, embedding: 4, hidden: 6 };
  const a = weightsOf((await buildModel({ ...opts, seed: 5 })).net);
  const b = weightsOf((await buildModel({ ...opts, seed: 5 })).net);
  const c = weightsOf((await buildModel({ ...opts, seed: 6 })).net);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[0], c[0]);
});

test('predictScores picks the probability of each row\'s next token, batched, contexts shared', async () => {
  const model = await buildModel({ vocabSize: 5, n: 2, embedding: 3, hidden: 4, seed: 2 });
  // Rows 0, 2 and 4 share the context (1, 2) with different next tokens.
  const windows = Int32Array.from([1, 2, 3, 4, 1, 2, 0, 0, 1, 2, 4, 3, 2, 2]);
  const next = Int32Array.from([3, 0, 4, 1, 3, 2, 2]);
  const tensors = tf.memory().numTensors;
  const scores = await predictScores(model, { n: 2, windows, next }, { batchSize: 2 });
  assert.equal(tf.memory().numTensors, tensors, 'scoring leaves no tensor behind');
  const probs = (model.net.predict(oneHotWindows(windows, model.config)) as tf.Tensor2D).arraySync();
  assert.equal(scores.length, 7);
  for (let r = 0; r < 7; r++) assert.ok(Math.abs(scores[r] - probs[r][next[r]]) < 1e-6, `row ${r}`);
  // Each output row is a distribution.
  for (const p of probs) assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  await assert.rejects(predictScores(model, { n: 2, windows, next: Int32Array.from([3, 0, 4, 1, 3, 2, 5]) }), /token id 5 at index 6/);
  await assert.rejects(predictScores(model, { n: 3, windows: new Int32Array(3), next: new Int32Array(1) }), /n = 3, the model n = 2/);
});
