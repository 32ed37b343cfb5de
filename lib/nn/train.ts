/**
 * Training on unique (window, next) pairs weighted by their counts. A batch's loss is the
 * count-weighted mean cross-entropy, sum(w·l) / sum(w): over the whole set it equals the plain mean
 * over the raw (duplicated) windows, so a full-batch step is exactly the step on raw data; for
 * mini-batches it is the self-normalised estimate of that mean, which stays on the same scale
 * whatever the skew of the counts (a batch holding one pair seen a million times is not a million
 * times louder).
 *
 * An epoch is a whole number of shuffled passes over the unique training pairs: as many as make at
 * least `minStepsPerEpoch` optimizer steps. One pass alone would shrink with deduplication: an idle
 * capture of 500 raw windows but 18 unique pairs is one step per pass, and early stopping (counted
 * in epochs) would then end training after a handful of steps, the model barely trained. Whole
 * passes rather than batches drawn in proportion to the counts: each pass stays an exact weighted
 * pass (every pair once, at its count), and when the pairs fit in one batch every step is still
 * exactly the full-batch step on the raw windows; drawing by counts would put duplicates back into
 * the batches and make even a small set's step a noisy estimate.
 *
 * The validation split is the one a random split of the raw windows would make (see
 * {@link splitValidation}), not a split of the unique pairs: the validation pairs are then the
 * patterns training learns, at their frequencies, instead of patterns training never sees.
 *
 * The steps are taken by the fast engine (the WebAssembly kernel's exact gradients and Adam on the
 * flat weights, written back into the network) or by tf.layers (`engine: 'layers'`); see
 * environment.md for why the fast engine is the default.
 */
import * as tf from '@tensorflow/tfjs';
import type { WindowSet } from '../seq/windows';
import { Rng } from '../sim/rng';
import { Adam, GRAD_SHARDS, fastLossAndGradient } from './fast';
import { EPSILON } from './kernel';
import { checkIds, oneHot, oneHotWindows } from './model';
import type { NextTokenModel } from './model';
import { defaultWorkers } from './pool';
import { predictScores, resolveEngine } from './predict';
import type { Engine } from './predict';
import { kernelSizes, readParams, writeParams } from './weights';

/** The training settings, all of which change the trained model (the cache key hashes them). */
export interface TrainSettings {
  /** Epochs at most. */
  maxEpochs: number;
  /** Unique pairs per gradient step. */
  batchSize: number;
  /** Optimizer steps per epoch at least: an epoch makes as many passes over the training pairs as this needs. */
  minStepsPerEpoch: number;
  /** Adam's learning rate. */
  learningRate: number;
  /** Stop after this many epochs without improvement of the monitored loss. */
  patience: number;
  /** Smallest decrease of the monitored loss that counts as an improvement. */
  minDelta: number;
  /** Fraction of the raw windows held out for validation, drawn per pair ({@link splitValidation}; 0: none, early stopping then watches the training loss). */
  valFraction: number;
  /** Seed of the validation split and the shuffles. */
  seed: number;
  /** Put back the weights of the best epoch at the end. */
  restoreBest: boolean;
  /**
   * 'fast': the WebAssembly kernel's exact forward and backward passes and Adam on the flat weights
   * (one LSTM layer; a stacked model trains on tf.layers); 'layers': tf.layers autodiff and
   * tf.train.adam, for comparison. Same steps up to float rounding.
   */
  engine: Engine;
}

/**
 * Defaults: batches of 256 pairs and Adam at 0.005 (above Keras' 0.001: deduplicated data makes few
 * steps); at least 20 steps per epoch, so that patience counts at least 60 steps without
 * improvement however well the data deduplicates; patience 3 and a 10% validation split as in
 * common Keras practice; at most 50 epochs so that a run stays within minutes on 2 cores.
 */
export const TRAIN_DEFAULTS: TrainSettings = {
  maxEpochs: 50,
  batchSize: 256,
  minStepsPerEpoch: 20,
  learningRate: 0.005,
  patience: 3,
  minDelta: 1e-4,
  valFraction: 0.1,
  seed: 1,
  restoreBest: true,
  engine: 'fast',
};

/** Progress after an epoch. */
export interface EpochProgress {
  /** 1-based. */
  epoch: number;
  maxEpochs: number;
  /** Count-weighted mean cross-entropy over the training pairs during the epoch. */
  loss: number;
  /** The same over the validation pairs after the epoch; null without validation. */
  valLoss: number | null;
  /** Unique training pairs per second (a pair counts once per pass). */
  samplesPerSec: number;
  /** Raw windows per second that the pairs stand for (samplesPerSec x their mean count). */
  windowsPerSec: number;
  /** Training seconds of this epoch. */
  seconds: number;
  /** Whether the monitored loss improved (these weights are the best so far). */
  improved: boolean;
}

/** Progress after a batch. */
export interface BatchProgress {
  epoch: number;
  /** 1-based within the epoch. */
  batch: number;
  /** Steps in the epoch (passes x batches per pass). */
  batches: number;
  /** This batch's weighted loss. */
  loss: number;
  /** Unique pairs per second so far in this epoch. */
  samplesPerSec: number;
}

/** Training options: settings to override in {@link TRAIN_DEFAULTS}, progress callbacks, and threads. */
export interface TrainOptions extends Partial<TrainSettings> {
  /**
   * Fast engine: worker threads computing each batch's gradient shards (0: the calling thread;
   * default: one per core when an epoch holds at least WORKER_MIN_PAIRS pair-steps), at most
   * GRAD_SHARDS (a batch has that many shards). The result is the same for any number.
   */
  workers?: number;
  onEpoch?: (p: EpochProgress) => void;
  /** Called after every batch (it forces the loss to be read back each batch). */
  onBatch?: (p: BatchProgress) => void;
}

/** What happened in training. */
export interface TrainHistory {
  settings: TrainSettings;
  epochs: EpochProgress[];
  /** Which loss early stopping watched. */
  monitor: 'valLoss' | 'loss';
  /** The epoch with the best monitored loss (its weights are the model's when restoreBest). */
  bestEpoch: number;
  bestLoss: number;
  stoppedEarly: boolean;
  /** Unique pairs with a training share, and with a validation share (a pair may have both). */
  trainPairs: number;
  valPairs: number;
  /** Raw windows in training and in validation: they add up to the data's total. */
  trainWindows: number;
  valWindows: number;
  /** Passes over the training pairs per epoch, and optimizer steps per epoch. */
  passesPerEpoch: number;
  stepsPerEpoch: number;
  seconds: number;
}

/** The full settings for some options. */
export function resolveTrainSettings(opts: Partial<TrainSettings> = {}): TrainSettings {
  const s: TrainSettings = { ...TRAIN_DEFAULTS };
  for (const key of Object.keys(TRAIN_DEFAULTS) as (keyof TrainSettings)[]) {
    if (opts[key] !== undefined) (s as unknown as Record<string, unknown>)[key] = opts[key];
  }
  if (!(s.valFraction >= 0 && s.valFraction < 1)) throw new Error(`valFraction must be in [0, 1), got ${s.valFraction}`);
  for (const [key, min] of [['maxEpochs', 1], ['batchSize', 1], ['minStepsPerEpoch', 1], ['patience', 0]] as const) {
    if (!Number.isInteger(s[key]) || s[key] < min) throw new Error(`${key} must be an integer >= ${min}, got ${s[key]}`);
  }
  if (!(s.learningRate >= 0 && Number.isFinite(s.learningRate))) throw new Error(`learningRate must be a finite number >= 0, got ${s.learningRate}`);
  if (s.engine !== 'fast' && s.engine !== 'layers') throw new Error(`engine must be 'fast' or 'layers', got ${s.engine}`);
  return s;
}

/**
 * Splits some pairs as a seeded random split of the raw windows they stand for would: each pair
 * sends a Binomial(count, valFraction) share of its count to validation and the rest to training,
 * so a pair may be on both sides with partial counts (a pair of count 1 goes to one side at
 * random). The two sets' counts add up to the data's, pair by pair. Training on one seed uses this
 * split of that seed.
 */
export function splitValidation(data: WindowSet, valFraction: number, seed: number): { train: WindowSet; val: WindowSet } {
  const rng = new Rng(seed);
  const trainCounts = new Int32Array(data.unique);
  const valCounts = new Int32Array(data.unique);
  for (let r = 0; r < data.unique; r++) {
    valCounts[r] = binomial(data.counts[r], valFraction, rng);
    trainCounts[r] = data.counts[r] - valCounts[r];
  }
  return { train: withCounts(data, trainCounts), val: withCounts(data, valCounts) };
}

/**
 * Trains the model in place on unique pairs weighted by their counts, in epochs of whole passes
 * (see the module comment), with a seeded validation split of the raw windows, seeded shuffles, and
 * early stopping.
 */
export async function train(model: NextTokenModel, data: WindowSet, opts: TrainOptions = {}): Promise<TrainHistory> {
  const s = resolveTrainSettings(opts);
  const { config } = model;
  const n = config.n;
  if (data.n !== n) throw new Error(`train: windows have n = ${data.n}, the model n = ${n}`);
  checkIds(data.windows, config, 'train windows');
  checkIds(data.next, config, 'train next');

  const { train: tr, val } = splitValidation(data, s.valFraction, s.seed);
  if (tr.unique === 0) throw new Error(`train: no training pairs (${data.unique} unique pairs, valFraction ${s.valFraction})`);
  // A stream of its own, so that a seed's split is splitValidation's whatever the shuffles draw.
  const rng = new Rng(s.seed ^ 0x9e3779b9);
  const order = Int32Array.from({ length: tr.unique }, (_, i) => i);
  const trainWindows = tr.total;

  const engine = resolveEngine(s.engine, config);
  const batchesPerPass = Math.ceil(tr.unique / s.batchSize);
  const passes = Math.ceil(s.minStepsPerEpoch / batchesPerPass);
  const steps = passes * batchesPerPass;
  // A batch's gradient is GRAD_SHARDS shards: more workers would idle.
  const workers = Math.min(GRAD_SHARDS, opts.workers ?? (passes * tr.unique >= WORKER_MIN_PAIRS ? defaultWorkers() : 0));
  const trainer = engine === 'fast' ? fastTrainer(model, s.learningRate, workers) : layersTrainer(model, s.learningRate);
  const bx = new Int32Array(s.batchSize * n);
  const by = new Int32Array(s.batchSize);
  const bw = new Float32Array(s.batchSize);
  const epochs: EpochProgress[] = [];
  let best = Infinity;
  let bestEpoch = 0;
  let waited = 0;
  let stoppedEarly = false;
  const t0 = performance.now();
  let lastYield = t0;

  try {
    for (let epoch = 1; epoch <= s.maxEpochs; epoch++) {
      const te = performance.now();
      for (let pass = 0; pass < passes; pass++) {
        shuffle(order, rng);
        for (let b = 0; b < batchesPerPass; b++) {
          const from = b * s.batchSize;
          const size = Math.min(s.batchSize, tr.unique - from);
          let weight = 0;
          for (let k = 0; k < size; k++) {
            const r = order[from + k];
            bx.set(tr.windows.subarray(r * n, r * n + n), k * n);
            by[k] = tr.next[r];
            bw[k] = tr.counts[r];
            weight += tr.counts[r];
          }
          await trainer.step(bx.subarray(0, size * n), by.subarray(0, size), bw.subarray(0, size), weight, weight / (passes * trainWindows));
          if (opts.onBatch) {
            const elapsed = (performance.now() - te) / 1000;
            const done = pass * tr.unique + from + size;
            opts.onBatch({ epoch, batch: pass * batchesPerPass + b + 1, batches: steps, loss: trainer.lastLoss(), samplesPerSec: done / elapsed });
          }
          if (performance.now() - lastYield > 100) {
            // Let a notebook redraw its progress line.
            await new Promise((resolve) => setImmediate(resolve));
            lastYield = performance.now();
          }
        }
      }
      const loss = await trainer.takeEpochLoss();
      const seconds = (performance.now() - te) / 1000;
      trainer.sync();
      const valLoss = val.unique > 0 ? await weightedLoss(model, val, engine, workers) : null;
      const monitored = valLoss ?? loss;
      const improved = monitored < best - s.minDelta;
      if (improved) {
        best = monitored;
        bestEpoch = epoch;
        waited = 0;
        if (s.restoreBest) trainer.keepBest();
      } else {
        waited++;
      }
      const progress: EpochProgress = {
        epoch,
        maxEpochs: s.maxEpochs,
        loss,
        valLoss,
        samplesPerSec: (passes * tr.unique) / seconds,
        windowsPerSec: (passes * trainWindows) / seconds,
        seconds,
        improved,
      };
      epochs.push(progress);
      opts.onEpoch?.(progress);
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
      if (!improved && waited >= s.patience && epoch < s.maxEpochs) {
        stoppedEarly = true;
        break;
      }
    }
    if (s.restoreBest && bestEpoch !== epochs.length) trainer.restoreBest();
  } finally {
    trainer.dispose();
  }
  return {
    settings: s,
    epochs,
    monitor: val.unique > 0 ? 'valLoss' : 'loss',
    bestEpoch,
    bestLoss: best,
    stoppedEarly,
    trainPairs: tr.unique,
    valPairs: val.unique,
    trainWindows,
    valWindows: val.total,
    passesPerEpoch: passes,
    stepsPerEpoch: steps,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Pair-steps per epoch (passes x training pairs) from which the fast engine trains on workers by default: below, starting them costs more than it saves. */
export const WORKER_MIN_PAIRS = 20_000;

/** An engine's optimizer loop, as train drives it. */
interface Trainer {
  /** One optimizer step on a batch (weighted mean loss over `weight`); adds the loss times `share` to the epoch's loss. */
  step(windows: Int32Array, next: Int32Array, counts: Float32Array, weight: number, share: number): Promise<void>;
  /** The last batch's loss. */
  lastLoss(): number;
  /** The epoch's loss so far, then starts a new sum. */
  takeEpochLoss(): Promise<number>;
  /** Writes the current weights into the network (before scoring with it). */
  sync(): void;
  keepBest(): void;
  /** Puts the kept weights into the network. */
  restoreBest(): void;
  dispose(): void;
}

/** tf.layers autodiff and tf.train.adam; the epoch loss stays a tensor so a batch never waits for a read-back. */
function layersTrainer(model: NextTokenModel, learningRate: number): Trainer {
  const { config, net } = model;
  const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(learningRate);
  let lossSum = tf.scalar(0);
  let last: tf.Scalar | null = null;
  let best: tf.Tensor[] | null = null;
  return {
    async step(windows, next, counts, weight, share) {
      const size = next.length;
      const cost = optimizer.minimize(
        () => {
          const p = net.apply(oneHotWindows(windows, config, 0, size), { training: true }) as tf.Tensor2D;
          const y = tf.tensor2d(oneHot(next, config.vocabSize), [size, config.vocabSize]);
          const picked = tf.sum(tf.mul(p, y), 1).clipByValue(EPSILON, 1);
          const w = tf.tensor1d(counts);
          return tf.div(tf.sum(tf.mul(w, tf.neg(tf.log(picked)))), weight) as tf.Scalar;
        },
        true,
        vars,
      ) as tf.Scalar;
      const prev = lossSum;
      lossSum = tf.tidy(() => prev.add(cost.mul(share)));
      prev.dispose();
      last?.dispose();
      last = cost;
    },
    lastLoss: () => last!.dataSync()[0],
    async takeEpochLoss() {
      const loss = (await lossSum.data())[0];
      lossSum.dispose();
      lossSum = tf.scalar(0);
      return loss;
    },
    sync() {},
    keepBest() {
      best?.forEach((t) => t.dispose());
      best = vars.map((v) => tf.clone(v));
    },
    restoreBest() {
      if (best) net.setWeights(best);
    },
    dispose() {
      best?.forEach((t) => t.dispose());
      last?.dispose();
      lossSum.dispose();
      optimizer.dispose();
    },
  };
}

/** The kernel's exact gradients (on `workers` threads) and Adam on the flat weights, written back to the network by sync. */
function fastTrainer(model: NextTokenModel, learningRate: number, workers: number): Trainer {
  const sizes = kernelSizes(model.config);
  const params = readParams(model);
  const adam = new Adam(params.length, learningRate);
  let lossSum = 0;
  let last = NaN;
  let best: Float32Array | null = null;
  return {
    async step(windows, next, counts, weight, share) {
      const { loss, grad } = await fastLossAndGradient(params, sizes, windows, next, counts, workers);
      adam.step(params, grad, 1 / weight);
      last = loss / weight;
      lossSum += last * share;
    },
    lastLoss: () => last,
    async takeEpochLoss() {
      const loss = lossSum;
      lossSum = 0;
      return loss;
    },
    sync: () => writeParams(model, params),
    keepBest() {
      best = params.slice();
    },
    restoreBest() {
      if (best) writeParams(model, best);
    },
    dispose() {},
  };
}

/** Count-weighted mean cross-entropy of the model over some pairs. */
async function weightedLoss(model: NextTokenModel, data: WindowSet, engine: Engine, workers: number): Promise<number> {
  const p = await predictScores(model, data, { engine, workers, cache: false });
  let sum = 0;
  for (let r = 0; r < data.unique; r++) sum += data.counts[r] * -Math.log(Math.min(1, Math.max(EPSILON, p[r])));
  return sum / data.total;
}

/** The pairs of a window set whose count in `counts` is positive, with those counts. */
function withCounts(data: WindowSet, counts: Int32Array): WindowSet {
  const n = data.n;
  const rows = Int32Array.from({ length: data.unique }, (_, r) => r).filter((r) => counts[r] > 0);
  const windows = new Int32Array(rows.length * n);
  const next = new Int32Array(rows.length);
  const kept = new Int32Array(rows.length);
  let total = 0;
  rows.forEach((r, k) => {
    windows.set(data.windows.subarray(r * n, r * n + n), k * n);
    next[k] = data.next[r];
    kept[k] = counts[r];
    total += counts[r];
  });
  return { n, windows, next, counts: kept, total, unique: rows.length, ratio: rows.length === 0 ? 1 : total / rows.length };
}

/**
 * A Binomial(trials, p) draw, p in [0, 1), by geometric skips from one success to the next: exact,
 * and about trials·p + 1 draws of `rng` instead of one per trial.
 */
function binomial(trials: number, p: number, rng: Rng): number {
  if (p <= 0) return 0;
  const logMiss = Math.log1p(-p);
  let successes = 0;
  // 1 - next() is in (0, 1], so each skip is at least one trial.
  for (let at = Math.floor(Math.log(1 - rng.next()) / logMiss) + 1; at <= trials; at += Math.floor(Math.log(1 - rng.next()) / logMiss) + 1) successes++;
  return successes;
}

/** Fisher-Yates in place. */
function shuffle(a: Int32Array, rng: Rng): Int32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}
