import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../lib/sim/rng';
import { Vocab } from '../../lib/seq/vocab';
import { buildWindows } from '../../lib/seq/windows';
import type { WindowSet } from '../../lib/seq/windows';
import { LstmKernel, paramCount, prefixTree } from '../../lib/nn/kernel';
import type { KernelSizes } from '../../lib/nn/kernel';
import { fastLossAndGradient, fastProbabilities, lexicographicOrder } from '../../lib/nn/fast';
import { buildModel, oneHot, oneHotWindows } from '../../lib/nn/model';
import type { NextTokenModel } from '../../lib/nn/model';
import { loadModel, saveModel } from '../../lib/nn/persist';
import { CACHE_MAX_FLOATS, predictScores, scoreCacheFloats } from '../../lib/nn/predict';
import { kernelPool } from '../../lib/nn/pool';
import { train } from '../../lib/nn/train';
import { kernelSizes, readParams, writeParams } from '../../lib/nn/weights';

/** Some windows over a vocabulary of V, with next tokens and counts, from a seeded generator. */
function sample(rows: number, n: number, V: number, seed: number): { windows: Int32Array; next: Int32Array; counts: Float32Array } {
  const rng = new Rng(seed);
  return {
    windows: Int32Array.from({ length: rows * n }, () => rng.int(0, V - 1)),
    next: Int32Array.from({ length: rows }, () => rng.int(0, V - 1)),
    counts: Float32Array.from({ length: rows }, () => rng.int(1, 4)),
  };
}

/**
 * An independent float64 reference of the model (Keras semantics: embedding row, LSTM with gates
 * i, f, c, o, sigmoid and tanh, softmax), written from the equations rather than from the kernel:
 * the weighted cross-entropy sum over some windows.
 */
function referenceLoss(p: Float64Array, s: KernelSizes, windows: Int32Array, next: Int32Array, counts: Float32Array): number {
  const { vocabSize: V, embedding: E, hidden: H, n } = s;
  const G = 4 * H;
  const oK = V * E;
  const oR = oK + E * G;
  const ob = oR + H * G;
  const oW = ob + G;
  const oB = oW + H * V;
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  let loss = 0;
  for (let r = 0; r < next.length; r++) {
    let h = new Float64Array(H);
    let c = new Float64Array(H);
    for (let t = 0; t < n; t++) {
      const tok = windows[r * n + t];
      const a = new Float64Array(G);
      for (let j = 0; j < G; j++) {
        let z = p[ob + j];
        for (let e = 0; e < E; e++) z += p[tok * E + e] * p[oK + e * G + j];
        for (let k = 0; k < H; k++) z += h[k] * p[oR + k * G + j];
        a[j] = z;
      }
      const h2 = new Float64Array(H);
      const c2 = new Float64Array(H);
      for (let k = 0; k < H; k++) {
        c2[k] = sig(a[H + k]) * c[k] + sig(a[k]) * Math.tanh(a[2 * H + k]);
        h2[k] = sig(a[3 * H + k]) * Math.tanh(c2[k]);
      }
      h = h2;
      c = c2;
    }
    const logits = Array.from({ length: V }, (_, v) => {
      let z = p[oB + v];
      for (let k = 0; k < H; k++) z += h[k] * p[oW + k * V + v];
      return z;
    });
    const m = Math.max(...logits);
    const sum = logits.reduce((acc, z) => acc + Math.exp(z - m), 0);
    loss += counts[r] * -(logits[next[r]] - m - Math.log(sum));
  }
  return loss;
}

/** The tf.layers model's weighted loss sum and its autodiff gradient (flat, the kernel's layout). */
function layersLossAndGradient(model: NextTokenModel, windows: Int32Array, next: Int32Array, counts: Float32Array): { loss: number; grad: Float32Array } {
  const V = model.config.vocabSize;
  const vars = model.net.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const p = model.net.apply(oneHotWindows(windows, model.config)) as tf.Tensor2D;
    const y = tf.tensor2d(oneHot(next, V), [next.length, V]);
    const picked = tf.sum(tf.mul(p, y), 1).clipByValue(1e-7, 1);
    return tf.sum(tf.mul(tf.tensor1d(counts), tf.neg(tf.log(picked)))) as tf.Scalar;
  }, vars);
  const grad = new Float32Array(paramCount(kernelSizes(model.config)));
  let at = 0;
  for (const v of vars) {
    const g = grads[v.name].dataSync();
    grad.set(g, at);
    at += g.length;
  }
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grad };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

test('the kernel computes the tf.layers model: same probabilities on the same weights, any hidden size', async () => {
  // 6 and 9 units exercise the scalar tails of the 4-wide SIMD loops, 8 the SIMD path only.
  for (const [hidden, vocabSize, rows] of [[6, 7, 9], [8, 5, 13], [9, 11, 3]]) {
    const model = await buildModel({ vocabSize, n: 4, embedding: 3, hidden, seed: hidden });
    const { windows } = sample(rows, 4, vocabSize, hidden);
    const probs = new Float32Array(rows * vocabSize);
    new LstmKernel().probabilities(readParams(model), kernelSizes(model.config), windows, 0, rows, probs);
    const expected = tf.tidy(() => (model.net.predict(oneHotWindows(windows, model.config)) as tf.Tensor).dataSync());
    assert.ok(maxAbsDiff(probs, expected) < 1e-6, `hidden ${hidden}: ${maxAbsDiff(probs, expected)}`);
  }
});

test('a window\'s probabilities do not depend on the other windows of its batch', async () => {
  const model = await buildModel({ vocabSize: 9, n: 5, embedding: 4, hidden: 12, seed: 2 });
  const s = kernelSizes(model.config);
  const { windows } = sample(11, 5, 9, 3);
  const kernel = new LstmKernel();
  const all = new Float32Array(11 * 9);
  kernel.probabilities(readParams(model), s, windows, 0, 11, all);
  // Rows 5..10 alone, and row 10 alone (the 4-row register blocks fall elsewhere): bit-identical.
  const tail = new Float32Array(6 * 9);
  kernel.probabilities(readParams(model), s, windows, 5, 11, tail);
  assert.deepEqual(tail, all.subarray(5 * 9));
  const one = new Float32Array(9);
  kernel.probabilities(readParams(model), s, windows, 10, 11, one);
  assert.deepEqual(one, all.subarray(10 * 9));
});

test('the prefix tree of sorted windows: one node per distinct prefix, each under its parent', () => {
  // Sorted: (1 2 3), (1 2 4), (1 3 0), (2 0 0), (2 0 0) repeated.
  const windows = Int32Array.from([1, 2, 3, 1, 2, 4, 1, 3, 0, 2, 0, 0, 2, 0, 0]);
  const tree = prefixTree(windows, 3);
  // Level 0: 1, 2; level 1: 12, 13, 20; level 2: one leaf per row (the repeated window too).
  assert.deepEqual(Array.from(tree.counts), [2, 3, 5]);
  assert.deepEqual(Array.from(tree.token), [1, 2, 2, 3, 0, 3, 4, 0, 0, 0]);
  assert.deepEqual(Array.from(tree.parent), [-1, -1, 0, 0, 1, 0, 0, 1, 2, 2]);
  // Rows (2 0), (1 3), (1 2), (0 5) in order: (0 5), (1 2), (1 3), (2 0).
  assert.deepEqual(Array.from(lexicographicOrder(Int32Array.from([2, 0, 1, 3, 1, 2, 0, 5]), 2, 6)), [3, 2, 1, 0]);
});

test('scoring over the prefix tree gives the same bits as each window on its own, in the callers\' order', async () => {
  const model = await buildModel({ vocabSize: 6, n: 5, embedding: 3, hidden: 8, seed: 4 });
  const params = readParams(model);
  const s = kernelSizes(model.config);
  // Windows of a repetitive stream share long prefixes; a few repeat.
  const stream = Int32Array.from({ length: 700 }, (_, i) => (i % 9 < 5 ? i % 9 : (i * 7) % 6));
  const windows = Int32Array.from({ length: 600 * 5 }, (_, k) => stream[Math.floor(k / 5) + (k % 5)]);
  const tree = await fastProbabilities(params, s, windows, 0, true);
  assert.deepEqual(tree, await fastProbabilities(params, s, windows, 0, false));
  const expected = tf.tidy(() => (model.net.predict(oneHotWindows(windows, model.config)) as tf.Tensor).dataSync());
  assert.ok(maxAbsDiff(tree, expected) < 1e-6);
});

test('the kernel\'s gradient matches tf.layers autodiff on the same weights and batch', async () => {
  for (const hidden of [6, 8]) {
    const model = await buildModel({ vocabSize: 7, n: 4, embedding: 3, hidden, seed: 3 });
    const { windows, next, counts } = sample(10, 4, 7, hidden);
    const grad = new Float32Array(paramCount(kernelSizes(model.config)));
    const loss = new LstmKernel().lossAndGradient(readParams(model), kernelSizes(model.config), windows, next, counts, grad);
    const ref = layersLossAndGradient(model, windows, next, counts);
    assert.ok(Math.abs(loss - ref.loss) < 1e-5 * ref.loss, `loss ${loss} vs ${ref.loss}`);
    const scale = Math.max(...Array.from(ref.grad, Math.abs));
    assert.ok(scale > 0.1, 'the gradient is not trivially zero');
    assert.ok(maxAbsDiff(grad, ref.grad) < 1e-5 * scale, `hidden ${hidden}: max difference ${maxAbsDiff(grad, ref.grad)}`);
  }
});

test('the kernel\'s gradient matches finite differences of an independent float64 model', async () => {
  const model = await buildModel({ vocabSize: 5, n: 3, embedding: 2, hidden: 5, seed: 9 });
  const s = kernelSizes(model.config);
  const params = readParams(model);
  // Larger weights than the initialisation, so that every gate works away from its linear range.
  for (let i = 0; i < params.length; i++) params[i] *= 3;
  const { windows, next, counts } = sample(6, 3, 5, 4);
  const grad = new Float32Array(params.length);
  const loss = new LstmKernel().lossAndGradient(params, s, windows, next, counts, grad);
  const p64 = Float64Array.from(params);
  assert.ok(Math.abs(loss - referenceLoss(p64, s, windows, next, counts)) < 1e-5 * loss, 'the float64 reference gives the same loss');
  const h = 1e-6;
  let worst = 0;
  for (let i = 0; i < params.length; i++) {
    const up = Float64Array.from(p64);
    const down = Float64Array.from(p64);
    up[i] += h;
    down[i] -= h;
    const fd = (referenceLoss(up, s, windows, next, counts) - referenceLoss(down, s, windows, next, counts)) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - grad[i]) / Math.max(1, Math.abs(fd)));
  }
  // Float32 arithmetic against a float64 central difference (whose own error is ~1e-9).
  assert.ok(worst < 1e-4, `worst relative difference ${worst}`);
});

test('a probability below 1e-7 is clipped as in tf.layers: finite loss, no gradient from that window', async () => {
  const model = await buildModel({ vocabSize: 4, n: 2, embedding: 2, hidden: 4, seed: 1 });
  const s = kernelSizes(model.config);
  const params = readParams(model);
  // An output bias that makes token 3 all but impossible.
  params[params.length - 1] = -40;
  const windows = Int32Array.from([1, 2, 2, 1]);
  const kernel = new LstmKernel();
  const both = new Float32Array(params.length);
  const loss = kernel.lossAndGradient(params, s, windows, Int32Array.from([3, 1]), Float32Array.from([2, 1]), both);
  const onlySecond = new Float32Array(params.length);
  const second = kernel.lossAndGradient(params, s, windows.subarray(2), Int32Array.from([1]), Float32Array.from([1]), onlySecond);
  assert.ok(Math.abs(loss - second - 2 * -Math.log(1e-7)) < 1e-4, `loss ${loss}`);
  assert.ok(maxAbsDiff(both, onlySecond) < 1e-7);
});

test('sharded gradients on worker threads equal the calling thread\'s, and scoring on workers too', async () => {
  const model = await buildModel({ vocabSize: 13, n: 6, embedding: 4, hidden: 16, seed: 5 });
  const s = kernelSizes(model.config);
  const params = readParams(model);
  const { windows, next, counts } = sample(300, 6, 13, 8);
  const here = await fastLossAndGradient(params, s, windows, next, counts, 0);
  const there = await fastLossAndGradient(params, s, windows, next, counts, 2);
  assert.equal(there.loss, here.loss);
  assert.deepEqual(there.grad, here.grad);
  // 2,500 windows: three chunks, spread over the workers, each in its place.
  const many = sample(2500, 6, 13, 9).windows;
  assert.deepEqual(await fastProbabilities(params, s, many, 2), await fastProbabilities(params, s, many, 0));
});

test('a terminated pool refuses jobs, and the next call gets a fresh one', async () => {
  const s = { n: 2, vocabSize: 3, embedding: 2, hidden: 4 };
  const params = new Float32Array(paramCount(s)).fill(0.1);
  const windows = Int32Array.from([0, 1, 2, 2]);
  const expected = await fastProbabilities(params, s, windows, 0);
  const pool = kernelPool(2);
  await pool.terminate();
  assert.equal(pool.open, false);
  await assert.rejects(pool.run({ kind: 'probs', params, sizes: s, windows, prefixTree: true }), /terminated/);
  assert.notEqual(kernelPool(2), pool);
  assert.deepEqual(await fastProbabilities(params, s, windows, 2), expected);
});

const vocab = Vocab.build([['a', 'b', 'c', 'd', 'e', 'f']]);
/** A repetitive stream with a branch: ids 1..6. */
const stream = Int32Array.from({ length: 400 }, (_, i) => (i % 7 === 6 ? 1 + ((i * 5) % 6) : 1 + (i % 7) % 6));
const data: WindowSet = buildWindows([stream], 4);

test('eight small-batch training steps of the fast engine are the tf.layers steps', async () => {
  // Batches of 8 of the 32 pairs, two shuffled passes: Adam's moments build up over steps with
  // different gradients, which a single step (whose update is about lr·sign(g)) cannot check. A
  // moment or bias correction 1% off moves some weight by ~1e-3; float rounding by ~1e-6.
  const opts = { maxEpochs: 1, minStepsPerEpoch: 8, batchSize: 8, valFraction: 0, learningRate: 0.01 };
  const build = () => buildModel({ vocabSize: vocab.size, n: 4, embedding: 3, hidden: 8, seed: 6 });
  const fast = await build();
  const layers = await build();
  const hf = await train(fast, data, { ...opts, engine: 'fast' });
  const hl = await train(layers, data, { ...opts, engine: 'layers' });
  assert.deepEqual([hf.stepsPerEpoch, hl.stepsPerEpoch], [8, 8]);
  assert.ok(Math.abs(hf.epochs[0].loss - hl.epochs[0].loss) < 1e-5, `loss ${hf.epochs[0].loss} vs ${hl.epochs[0].loss}`);
  const before = readParams(await build());
  const moved = maxAbsDiff(readParams(fast), before);
  assert.ok(moved > 0.05, `the steps move the weights (${moved})`);
  const diff = maxAbsDiff(readParams(fast), readParams(layers));
  assert.ok(diff < 2e-5, `max weight difference ${diff}`);
});

test('a model trained by the fast engine saves, reloads and scores identically on both engines', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'deepstitch-fast-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const model = await buildModel({ vocabSize: vocab.size, n: 4, embedding: 3, hidden: 8, seed: 7 });
  const h = await train(model, data, { maxEpochs: 5, valFraction: 0.1 });
  assert.equal(h.settings.engine, 'fast');
  await saveModel(dir, model, vocab);
  const loaded = (await loadModel(dir)).model;
  const fastScores = await predictScores(model, data);
  assert.deepEqual(await predictScores(loaded, data), fastScores);
  const layersScores = await predictScores(loaded, data, { engine: 'layers' });
  assert.ok(maxAbsDiff(layersScores, fastScores) < 1e-6);
  // It learnt the routine: the usual next tokens score high.
  assert.ok(fastScores.filter((p) => p > 0.5).length > data.unique / 2);
});

test('the same seed trains the same weights on 0 or 2 worker threads', async () => {
  const run = async (workers: number) => {
    const model = await buildModel({ vocabSize: vocab.size, n: 4, embedding: 3, hidden: 8, seed: 8 });
    await train(model, data, { maxEpochs: 2, batchSize: 16, valFraction: 0.2, workers });
    return readParams(model);
  };
  const local = await run(0);
  assert.deepEqual(await run(2), local);
  assert.deepEqual(await run(0), local);
});

test('the score cache serves repeated windows, and new weights replace it', async () => {
  const model = await buildModel({ vocabSize: vocab.size, n: 4, embedding: 3, hidden: 8, seed: 10 });
  const first = await predictScores(model, data);
  assert.deepEqual(await predictScores(model, data), first);
  // Half the windows again with other next tokens: the cached rows give their probabilities.
  const half = { n: 4, windows: data.windows.subarray(0, 40), next: data.next.subarray(0, 10).map((y) => (y % 6) + 1) };
  assert.deepEqual(await predictScores(model, half), await predictScores(model, half, { cache: false }));
  const params = readParams(model);
  params[params.length - 2] += 1;
  writeParams(model, params);
  const changed = await predictScores(model, data);
  assert.notDeepEqual(changed, first);
  assert.deepEqual(changed, await predictScores(model, data, { cache: false }));
});

test('a stacked model runs on tf.layers behind the same calls', async () => {
  const model = await buildModel({ vocabSize: vocab.size, n: 4, embedding: 3, hidden: 4, layers: 2, seed: 1 });
  const h = await train(model, data, { maxEpochs: 1, valFraction: 0 });
  assert.equal(h.epochs.length, 1);
  assert.deepEqual(await predictScores(model, data), await predictScores(model, data, { engine: 'layers' }));
  assert.throws(() => readParams(model), /fast engine: expected weights of shapes/);
});

test('a scoring call that fails leaves the cache as it was: the next call scores correctly', async () => {
  const model = await buildModel({ vocabSize: vocab.size, n: 4, embedding: 3, hidden: 8, seed: 11 });
  const expected = await predictScores(model, data, { cache: false, workers: 0 });
  // A pool of 3 that no other test starts: its workers take ~0.3 s to load, so none has finished
  // when the pool stops under the jobs.
  const failing = assert.rejects(predictScores(model, data, { workers: 3 }), /terminated/);
  await new Promise((resolve) => setTimeout(resolve, 10));
  await kernelPool(3).terminate();
  await failing;
  const after = await predictScores(model, data, { workers: 0 });
  assert.ok(after.every(Number.isFinite));
  assert.deepEqual(after, expected);
});

test('concurrent scoring calls on pools of different sizes both succeed', async () => {
  const model = await buildModel({ vocabSize: 13, n: 6, embedding: 4, hidden: 16, seed: 12 });
  const rows = { n: 6, ...sample(3000, 6, 13, 13) };
  const expected = await predictScores(model, rows, { cache: false, workers: 0 });
  const [two, one] = await Promise.all([predictScores(model, rows, { cache: false, workers: 2 }), predictScores(model, rows, { cache: false, workers: 1 })]);
  assert.deepEqual(two, expected);
  assert.deepEqual(one, expected);
});

test('the score caches of all models share one limit: the least recently used model\'s goes first', async () => {
  // A large vocabulary, so that few windows fill the cache: each set takes 60% of the limit.
  const V = 2048;
  const n = 2;
  const rows = Math.ceil((0.6 * CACHE_MAX_FLOATS) / V);
  const set = (seed: number) => {
    const s = sample(rows, n, V, seed);
    return { n, windows: s.windows, next: s.next };
  };
  const build = (seed: number) => buildModel({ vocabSize: V, n, embedding: 2, hidden: 4, seed });
  const [a, b] = [await build(1), await build(2)];
  const [setA, setB] = [set(1), set(2)];
  const start = scoreCacheFloats();
  const scoresA = await predictScores(a, setA, { workers: 0 });
  assert.ok(scoreCacheFloats() - start >= 0.55 * CACHE_MAX_FLOATS, 'a\'s windows are cached');
  await predictScores(b, setB, { workers: 0 });
  assert.ok(scoreCacheFloats() <= CACHE_MAX_FLOATS, `${scoreCacheFloats()} floats cached`);
  // a's cache was dropped for b's, and a still scores correctly.
  assert.deepEqual(await predictScores(a, setA, { workers: 0 }), scoresA);
  assert.ok(scoreCacheFloats() <= CACHE_MAX_FLOATS, `${scoreCacheFloats()} floats cached`);
});
