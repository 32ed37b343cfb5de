import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildWindows } from '../../lib/seq/windows';
import type { WindowSet } from '../../lib/seq/windows';
import { buildModel } from '../../lib/nn/model';
import { predictScores } from '../../lib/nn/predict';
import { train } from '../../lib/nn/train';
import type { BatchProgress, EpochProgress } from '../../lib/nn/train';

const weightsOf = (net: tf.LayersModel) => net.getWeights().map((w) => Array.from(w.dataSync()));

/** A, B, C, D = ids 1..4 (0 is the unknown token). */
const cycle = (length: number) => Int32Array.from({ length }, (_, i) => (i % 4) + 1);

/** The same windows listed one row per raw window (counts all 1): what training without dedup sees. */
function raw(seqs: Int32Array[], n: number): WindowSet {
  const windows: number[] = [];
  const next: number[] = [];
  for (const s of seqs) for (let i = n; i < s.length; i++) windows.push(...s.subarray(i - n, i)), next.push(s[i]);
  return { n, windows: Int32Array.from(windows), next: Int32Array.from(next), counts: new Int32Array(next.length).fill(1), total: next.length, unique: next.length, ratio: 1 };
}

test('a cycle A B C D is learnt: the loss falls, the next token gets a high score, a broken pattern a low one', async () => {
  const data = buildWindows([cycle(40)], 3);
  const model = await buildModel({ vocabSize: 5, n: 3, embedding: 4, hidden: 8, seed: 7 });
  const h = await train(model, data, { valFraction: 0, maxEpochs: 300, learningRate: 0.05, patience: 5 });
  assert.equal(h.monitor, 'loss');
  // Untrained, every token has probability about 1/5: a loss near ln 5 = 1.61.
  assert.ok(h.epochs[0].loss > 1.2, `first loss ${h.epochs[0].loss}`);
  assert.ok(h.bestLoss < 0.05, `best loss ${h.bestLoss}`);
  const scores = await predictScores(model, data);
  for (const s of scores) assert.ok(s > 0.9, `score of the true next token ${s}`);
  // A B C followed by B (instead of D), and D A B followed by D (instead of C).
  const broken = await predictScores(model, { n: 3, windows: Int32Array.from([1, 2, 3, 4, 1, 2]), next: Int32Array.from([2, 4]) });
  for (const s of broken) assert.ok(s < 0.1, `score of a broken pattern ${s}`);
});

test('weighting by counts: one full-batch step on unique pairs has the loss of the step on raw windows', async () => {
  // A repetitive stream with uneven counts: 1 2 3 x7 then 1 2 4 x2, twice.
  const part = [...Array(7).fill([1, 2, 3]).flat(), ...Array(2).fill([1, 2, 4]).flat()];
  const seqs = [Int32Array.from([...part, ...part])];
  const unique = buildWindows(seqs, 2);
  const rawSet = raw(seqs, 2);
  assert.ok(unique.unique < rawSet.unique / 5, 'the test data does repeat');
  const opts = { maxEpochs: 1, batchSize: 1000, valFraction: 0, learningRate: 0.001 };
  const a = await buildModel({ vocabSize: 5, n: 2, embedding: 3, hidden: 4, seed: 3 });
  const b = await buildModel({ vocabSize: 5, n: 2, embedding: 3, hidden: 4, seed: 3 });
  const ha = await train(a, unique, opts);
  const hb = await train(b, rawSet, opts);
  assert.equal(ha.trainWindows, hb.trainWindows);
  assert.ok(Math.abs(ha.epochs[0].loss - hb.epochs[0].loss) < 1e-6, `${ha.epochs[0].loss} vs ${hb.epochs[0].loss}`);
  // Equal gradients give equal steps.
  const wa = weightsOf(a.net).flat();
  const wb = weightsOf(b.net).flat();
  assert.ok(wa.every((w, i) => Math.abs(w - wb[i]) < 1e-6));
  // Ignoring the counts would give another loss: the mean over the unique pairs alone.
  const p = await predictScores(await buildModel({ vocabSize: 5, n: 2, embedding: 3, hidden: 4, seed: 3 }), unique);
  const unweighted = p.reduce((s, x) => s - Math.log(x), 0) / p.length;
  assert.ok(Math.abs(unweighted - ha.epochs[0].loss) > 1e-3);
});

test('the same seeds give the same trained weights; another shuffle seed others', async () => {
  const data = buildWindows([Int32Array.from([...cycle(30), 2, 2, 3, 1, ...cycle(30)])], 3);
  const run = async (seed: number) => {
    const m = await buildModel({ vocabSize: 5, n: 3, embedding: 3, hidden: 4, seed: 11 });
    await train(m, data, { maxEpochs: 3, batchSize: 2, valFraction: 0.25, patience: 10, seed });
    return weightsOf(m.net);
  };
  const a = await run(1);
  assert.deepEqual(await run(1), a);
  assert.notDeepEqual(await run(2), a);
});

test('early stopping: a loss that never improves stops after `patience` more epochs', async () => {
  const data = buildWindows([Int32Array.from({ length: 60 }, (_, i) => (i * 7) % 5)], 2);
  assert.equal(data.unique, 5);
  const model = await buildModel({ vocabSize: 5, n: 2, embedding: 3, hidden: 4 });
  // With a learning rate of 0 the weights never change: epoch 1 sets the best loss, and training
  // stops once `patience` epochs have not improved on it (patience 0 still runs a second epoch).
  for (const [patience, epochs] of [[2, 3], [0, 2]]) {
    const h = await train(model, data, { learningRate: 0, patience, maxEpochs: 50, valFraction: 0.4 });
    assert.equal(h.epochs.length, epochs);
    assert.ok(h.stoppedEarly);
    assert.equal(h.bestEpoch, 1);
    assert.equal(h.monitor, 'valLoss');
    assert.equal(h.valPairs, 2);
    assert.equal(h.trainPairs, 3);
    assert.ok(h.epochs.every((e) => e.valLoss === h.epochs[0].valLoss));
  }
});

test('restoreBest puts back the weights of the epoch with the best validation loss', async () => {
  // Two pairs with the same context and different next tokens: whichever is held out, learning the
  // other makes the validation loss worse every epoch, so the best epoch is the first.
  const data: WindowSet = { n: 2, windows: Int32Array.from([1, 2, 1, 2]), next: Int32Array.from([3, 4]), counts: Int32Array.from([1, 1]), total: 2, unique: 2, ratio: 1 };
  for (const restoreBest of [true, false]) {
    const model = await buildModel({ vocabSize: 5, n: 2, embedding: 3, hidden: 4 });
    const h = await train(model, data, { valFraction: 0.5, learningRate: 0.05, patience: 3, restoreBest });
    assert.equal(h.bestEpoch, 1);
    assert.equal(h.epochs.length, 4);
    const first = h.epochs[0].valLoss!;
    const last = h.epochs[3].valLoss!;
    assert.ok(last > first + 0.05, `validation loss ${first} -> ${last}`);
    // The held-out pair is the one the model now finds less likely.
    const heldOut = -Math.log(Math.min(...(await predictScores(model, data))));
    assert.ok(Math.abs(heldOut - (restoreBest ? first : last)) < 1e-5, `held-out loss ${heldOut}`);
  }
});

test('progress: onBatch after every batch, onEpoch after every epoch, as in the history', async () => {
  const data = buildWindows([Int32Array.from({ length: 80 }, (_, i) => (i * i) % 5)], 2);
  const model = await buildModel({ vocabSize: 5, n: 2, embedding: 3, hidden: 4 });
  const batches: BatchProgress[] = [];
  const epochs: EpochProgress[] = [];
  const tensors = tf.memory().numTensors;
  const h = await train(model, data, { maxEpochs: 2, patience: 5, batchSize: 2, valFraction: 0, onBatch: (b) => batches.push(b), onEpoch: (e) => epochs.push(e) });
  const perEpoch = Math.ceil(data.unique / 2);
  assert.equal(batches.length, 2 * perEpoch);
  assert.deepEqual(batches.map((b) => b.batch), [...Array(perEpoch).keys(), ...Array(perEpoch).keys()].map((k) => k + 1));
  assert.ok(batches.every((b) => b.batches === perEpoch && b.loss > 0 && b.samplesPerSec > 0));
  assert.deepEqual(epochs, h.epochs);
  assert.ok(epochs.every((e) => e.samplesPerSec > 0 && e.windowsPerSec >= e.samplesPerSec));
  assert.equal(tf.memory().numTensors, tensors, 'training leaves no tensor behind');
});

test('bad training input is refused with a reason', async () => {
  const model = await buildModel({ vocabSize: 5, n: 2, embedding: 3, hidden: 4 });
  const data = buildWindows([cycle(10)], 2);
  await assert.rejects(train(model, buildWindows([cycle(10)], 3)), /n = 3, the model n = 2/);
  await assert.rejects(train(model, { ...data, next: data.next.map(() => 9) }), /token id 9/);
  await assert.rejects(train(model, buildWindows([], 2)), /no training pairs/);
  await assert.rejects(train(model, data, { valFraction: 1 }), /valFraction/);
  await assert.rejects(train(model, data, { batchSize: 0 }), /batchSize must be an integer >= 1/);
});
