import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildWindows } from '../../lib/seq/windows';
import type { WindowSet } from '../../lib/seq/windows';
import { buildModel } from '../../lib/nn/model';
import type { NextTokenModel } from '../../lib/nn/model';
import { predictScores } from '../../lib/nn/predict';
import { splitValidation, train } from '../../lib/nn/train';
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

/** The count-weighted mean cross-entropy of a model over some pairs: the mean over the raw windows. */
async function rawLoss(model: NextTokenModel, data: WindowSet): Promise<number> {
  const p = await predictScores(model, data);
  return p.reduce((s, x, r) => s - data.counts[r] * Math.log(x), 0) / data.total;
}

/** A set of pairs (window = [row], next 0) with these counts: each row is its own pattern, to follow it through a split. */
function pairsWithCounts(counts: number[]): WindowSet {
  const total = counts.reduce((a, b) => a + b, 0);
  return { n: 1, windows: Int32Array.from(counts, (_, r) => r), next: new Int32Array(counts.length), counts: Int32Array.from(counts), total, unique: counts.length, ratio: total / counts.length };
}

/** Each pattern's count in a set built by pairsWithCounts (0 where the set lacks it). */
function countsByPattern(set: WindowSet, patterns: number): number[] {
  const out = new Array<number>(patterns).fill(0);
  for (let k = 0; k < set.unique; k++) out[set.windows[k]] += set.counts[k];
  return out;
}

test('a cycle A B C D is learnt: the loss falls, the next token gets a high score, a broken pattern a low one', async () => {
  const data = buildWindows([cycle(40)], 3);
  const model = await buildModel({ vocabSize: 5, n: 3, embedding: 4, hidden: 8, seed: 7 });
  // Untrained, every token has probability about 1/5: a loss near ln 5 = 1.61.
  const untrained = await rawLoss(model, data);
  assert.ok(untrained > 1.2, `untrained loss ${untrained}`);
  const h = await train(model, data, { valFraction: 0, maxEpochs: 300, learningRate: 0.05, patience: 5 });
  assert.equal(h.monitor, 'loss');
  assert.ok(h.epochs[0].loss < untrained, `first epoch's loss ${h.epochs[0].loss}`);
  assert.ok(h.bestLoss < 0.05, `best loss ${h.bestLoss}`);
  const scores = await predictScores(model, data);
  for (const s of scores) assert.ok(s > 0.9, `score of the true next token ${s}`);
  // A B C followed by B (instead of D), and D A B followed by D (instead of C).
  const broken = await predictScores(model, { n: 3, windows: Int32Array.from([1, 2, 3, 4, 1, 2]), next: Int32Array.from([2, 4]) });
  for (const s of broken) assert.ok(s < 0.1, `score of a broken pattern ${s}`);
});

test('weighting by counts: full-batch steps on unique pairs are the steps on raw windows', async () => {
  // A repetitive stream with uneven counts: 1 2 3 x7 then 1 2 4 x2, twice.
  const part = [...Array(7).fill([1, 2, 3]).flat(), ...Array(2).fill([1, 2, 4]).flat()];
  const seqs = [Int32Array.from([...part, ...part])];
  const unique = buildWindows(seqs, 2);
  const rawSet = raw(seqs, 2);
  assert.ok(unique.unique < rawSet.unique / 5, 'the test data does repeat');
  const build = () => buildModel({ vocabSize: 5, n: 2, embedding: 3, hidden: 4, seed: 3 });
  // One step, then the default epoch: 20 passes, each one full-batch step since all pairs fit in a batch.
  for (const minStepsPerEpoch of [1, 20]) {
    const opts = { maxEpochs: 1, batchSize: 1000, valFraction: 0, learningRate: 0.001, minStepsPerEpoch };
    const a = await build();
    const b = await build();
    const ha = await train(a, unique, opts);
    const hb = await train(b, rawSet, opts);
    assert.equal(ha.stepsPerEpoch, minStepsPerEpoch);
    assert.equal(hb.stepsPerEpoch, minStepsPerEpoch);
    assert.equal(ha.trainWindows, hb.trainWindows);
    assert.ok(Math.abs(ha.epochs[0].loss - hb.epochs[0].loss) < 1e-6, `${ha.epochs[0].loss} vs ${hb.epochs[0].loss}`);
    // Equal gradients give equal steps, up to float32 rounding of the gradient sums (which differ
    // in order between the two batches); Adam divides each step by the gradient's scale, so over 20
    // steps a component near zero can carry that rounding to a few 1e-6.
    const wa = weightsOf(a.net).flat();
    const wb = weightsOf(b.net).flat();
    const tol = minStepsPerEpoch === 1 ? 1e-6 : 2e-5;
    assert.ok(wa.every((w, i) => Math.abs(w - wb[i]) < tol));
  }
  // Ignoring the counts would give another loss: the mean over the unique pairs alone.
  const untrained = await build();
  const p = await predictScores(untrained, unique);
  const unweighted = p.reduce((s, x) => s - Math.log(x), 0) / p.length;
  assert.ok(Math.abs(unweighted - (await rawLoss(untrained, unique))) > 1e-3);
});

test('an epoch of several passes visits every training pair once per pass, at its count', async () => {
  const data = buildWindows([Int32Array.from({ length: 90 }, (_, i) => (i * i + (i >> 3)) % 5)], 2);
  const model = await buildModel({ vocabSize: 5, n: 2, embedding: 3, hidden: 4, seed: 5 });
  // With a learning rate of 0 the weights stay put, so the epoch's loss is the mean of the batches'
  // losses weighted by their windows: the untrained raw-window loss exactly when every pass is whole.
  // Batches of 3 pairs, the last one of a pass smaller when the pairs do not divide by 3; one step
  // more than two passes make: three passes.
  const perPass = Math.ceil(data.unique / 3);
  const h = await train(model, data, { learningRate: 0, maxEpochs: 1, batchSize: 3, minStepsPerEpoch: 2 * perPass + 1, valFraction: 0 });
  assert.equal(h.passesPerEpoch, 3);
  assert.equal(h.stepsPerEpoch, 3 * perPass);
  const expected = await rawLoss(model, data);
  assert.ok(Math.abs(h.epochs[0].loss - expected) < 1e-5, `${h.epochs[0].loss} vs ${expected}`);
});

test('the validation split is a split of the raw windows: counts add up pair by pair, at the asked fraction', () => {
  // 1000 pairs seen once, 500 seen 7 times, one seen 100000 times.
  const counts = [...new Array<number>(1000).fill(1), ...new Array<number>(500).fill(7), 100000];
  const data = pairsWithCounts(counts);
  const { train: tr, val } = splitValidation(data, 0.1, 42);
  const trainCounts = countsByPattern(tr, counts.length);
  const valCounts = countsByPattern(val, counts.length);
  assert.equal(tr.total + val.total, data.total);
  assert.ok(counts.every((c, r) => trainCounts[r] + valCounts[r] === c && trainCounts[r] >= 0 && valCounts[r] >= 0));
  assert.ok(tr.counts.every((c) => c > 0) && val.counts.every((c) => c > 0), 'a side lists only the pairs it has a share of');
  assert.equal(tr.ratio, tr.total / tr.unique);
  // A pair seen once is on one side only; about 10% of them go to validation (binomial: 100 +- 9.5).
  const onceToVal = valCounts.slice(0, 1000).filter((c) => c === 1).length;
  assert.ok(onceToVal >= 60 && onceToVal <= 140, `${onceToVal} of 1000 single pairs held out`);
  // Pairs seen 7 times: Binomial(7, 0.1) each, so about 0.9^7 = 47.8% of them have no validation
  // share (239 +- 11), and their held-out windows total about 350 (+- 18).
  const sevens = valCounts.slice(1000, 1500);
  const none = sevens.filter((c) => c === 0).length;
  const held = sevens.reduce((a, b) => a + b, 0);
  assert.ok(none >= 185 && none <= 295, `${none} of 500 pairs of count 7 without a validation share`);
  assert.ok(held >= 260 && held <= 440, `${held} of 3500 windows held out`);
  // The frequent pair is on both sides, about 10000 (+- 95) of its windows held out.
  assert.ok(Math.abs(valCounts[1500] - 10000) < 500, `${valCounts[1500]} of 100000 held out`);

  assert.deepEqual(splitValidation(data, 0.1, 42), { train: tr, val }, 'the same seed gives the same split');
  assert.notDeepEqual(countsByPattern(splitValidation(data, 0.1, 43).val, counts.length), valCounts);
  const none0 = splitValidation(data, 0, 42);
  assert.equal(none0.val.unique, 0);
  assert.deepEqual(countsByPattern(none0.train, counts.length), counts);
});

test('an idle-like stream that deduplicates to a few pairs is learnt with the default epochs', async () => {
  // A 7-token idle routine; every 10th round takes a rare branch (1 2 3 then 7).
  const tokens: number[] = [];
  for (let round = 0; tokens.length < 505; round++) tokens.push(...(round % 10 === 9 ? [1, 2, 3, 7] : [1, 2, 3, 4, 5, 6, 7]));
  const data = buildWindows([Int32Array.from(tokens.slice(0, 505))], 5);
  assert.equal(data.total, 500);
  assert.ok(data.unique < 20, `${data.unique} unique pairs`);
  const lnV = Math.log(8);
  const build = () => buildModel({ vocabSize: 8, n: 5, embedding: 8, hidden: 16, seed: 1 });

  // Six steps (one-pass epochs, where the old split's early stopping ended such runs) move each
  // weight by about 6 x 0.005 at most with Adam: the model stays near uniform.
  const few = await build();
  const hf = await train(few, data, { minStepsPerEpoch: 1, maxEpochs: 6 });
  assert.equal(hf.stepsPerEpoch, 1);
  assert.ok((await rawLoss(few, data)) > 0.5 * lnV, 'six steps do not learn the routine');

  const model = await build();
  const h = await train(model, data);
  assert.equal(h.stepsPerEpoch, 20, 'all pairs fit in one batch: 20 passes of one step');
  assert.equal(h.trainWindows + h.valWindows, 500);
  const loss = await rawLoss(model, data);
  assert.ok(loss < 0.5 * lnV, `loss ${loss} vs ln V = ${lnV}`);

  // Against the exact next-token frequencies of each window: the routine's steps are near certain,
  // and at the branch point (6 7 1 2 3) the rare 7 gets a small but real share (7 of 67).
  const p = await predictScores(model, data);
  const windowCount = new Map<string, number>();
  const key = (r: number) => data.windows.subarray(r * 5, r * 5 + 5).join(' ');
  for (let r = 0; r < data.unique; r++) windowCount.set(key(r), (windowCount.get(key(r)) ?? 0) + data.counts[r]);
  for (let r = 0; r < data.unique; r++) {
    const exact = data.counts[r] / windowCount.get(key(r))!;
    if (exact === 1) assert.ok(p[r] > 0.9, `${key(r)} -> ${data.next[r]}: ${p[r]}`);
    else if (data.next[r] === 7) assert.ok(p[r] > 0.03 && p[r] < 0.3, `rare branch ${key(r)} -> 7: ${p[r]} (exact ${exact})`);
    else assert.ok(p[r] > 0.6, `usual path ${key(r)} -> ${data.next[r]}: ${p[r]} (exact ${exact})`);
  }
});

test('the same seeds give the same split and trained weights; another seed others', async () => {
  const data = buildWindows([Int32Array.from([...cycle(30), 2, 2, 3, 1, ...cycle(30)])], 3);
  const run = async (seed: number) => {
    const m = await buildModel({ vocabSize: 5, n: 3, embedding: 3, hidden: 4, seed: 11 });
    const h = await train(m, data, { maxEpochs: 3, batchSize: 2, valFraction: 0.25, patience: 10, seed });
    return { weights: weightsOf(m.net), split: [h.trainPairs, h.valPairs, h.trainWindows, h.valWindows] };
  };
  const a = await run(1);
  assert.deepEqual(await run(1), a);
  assert.notDeepEqual((await run(2)).weights, a.weights);
});

test('early stopping: a loss that never improves stops after `patience` more epochs', async () => {
  const data = buildWindows([Int32Array.from({ length: 60 }, (_, i) => (i * 7) % 5)], 2);
  assert.equal(data.unique, 5);
  const model = await buildModel({ vocabSize: 5, n: 2, embedding: 3, hidden: 4 });
  const split = splitValidation(data, 0.4, 1);
  // With a learning rate of 0 the weights never change: epoch 1 sets the best loss, and training
  // stops once `patience` epochs have not improved on it (patience 0 still runs a second epoch).
  for (const [patience, epochs] of [[2, 3], [0, 2]]) {
    const h = await train(model, data, { learningRate: 0, patience, maxEpochs: 50, valFraction: 0.4, seed: 1 });
    assert.equal(h.epochs.length, epochs);
    assert.ok(h.stoppedEarly);
    assert.equal(h.bestEpoch, 1);
    assert.equal(h.monitor, 'valLoss');
    assert.deepEqual([h.trainPairs, h.valPairs, h.trainWindows, h.valWindows], [split.train.unique, split.val.unique, split.train.total, split.val.total]);
    assert.equal(h.trainWindows + h.valWindows, data.total);
    assert.ok(h.epochs.every((e) => e.valLoss === h.epochs[0].valLoss));
    assert.ok(Math.abs(h.epochs[0].valLoss! - (await rawLoss(model, split.val))) < 1e-6);
  }
});

test('restoreBest puts back the weights of the epoch with the best validation loss', async () => {
  // Two pairs with the same context and different next tokens, seen once each. With a seed that
  // holds one out, learning the other makes the validation loss worse every epoch: the best epoch
  // is the first.
  const data: WindowSet = { n: 2, windows: Int32Array.from([1, 2, 1, 2]), next: Int32Array.from([3, 4]), counts: Int32Array.from([1, 1]), total: 2, unique: 2, ratio: 1 };
  const seed = [1, 2, 3, 4, 5, 6, 7, 8].find((s) => splitValidation(data, 0.5, s).val.unique === 1 && splitValidation(data, 0.5, s).train.unique === 1);
  assert.ok(seed !== undefined, 'some seed holds out one pair of two');
  for (const restoreBest of [true, false]) {
    const model = await buildModel({ vocabSize: 5, n: 2, embedding: 3, hidden: 4 });
    const h = await train(model, data, { valFraction: 0.5, seed, learningRate: 0.05, patience: 3, restoreBest });
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

test('progress: onBatch after every step, onEpoch after every epoch, as in the history', async () => {
  const data = buildWindows([Int32Array.from({ length: 80 }, (_, i) => (i * i) % 5)], 2);
  const model = await buildModel({ vocabSize: 5, n: 2, embedding: 3, hidden: 4 });
  const batches: BatchProgress[] = [];
  const epochs: EpochProgress[] = [];
  const tensors = tf.memory().numTensors;
  const perPass = Math.ceil(data.unique / 2);
  // One step more than a pass makes: two passes per epoch.
  const opts = { maxEpochs: 2, patience: 5, batchSize: 2, minStepsPerEpoch: perPass + 1, valFraction: 0 };
  const h = await train(model, data, { ...opts, onBatch: (b) => batches.push(b), onEpoch: (e) => epochs.push(e) });
  const steps = 2 * perPass;
  assert.equal(h.passesPerEpoch, 2);
  assert.equal(h.stepsPerEpoch, steps);
  assert.equal(batches.length, 2 * steps);
  assert.deepEqual(batches.map((b) => b.batch), [...Array(steps).keys(), ...Array(steps).keys()].map((k) => k + 1));
  assert.ok(batches.every((b) => b.batches === steps && b.loss > 0 && b.samplesPerSec > 0));
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
  await assert.rejects(train(model, data, { minStepsPerEpoch: 0 }), /minStepsPerEpoch must be an integer >= 1/);
});
