/**
 * Next-token scorers: the probability a model gives each token of a sequence after the n tokens
 * before it (the paper's prediction score). Idle models and trace models are both scorers, so any
 * model can stand behind the stitching steps: the LSTM (the paper's) and an exact n-gram count
 * model, which makes small examples exact and fast and gives a baseline to compare the LSTM with.
 */
import { MODEL_DEFAULTS } from '../nn/model';
import type { NextTokenModel } from '../nn/model';
import { predictScores } from '../nn/predict';
import type { PredictOptions } from '../nn/predict';
import { trainCached } from '../nn/cache';
import type { CachedTrainOptions } from '../nn/cache';
import type { TrainHistory, TrainOptions } from '../nn/train';
import { Vocab } from '../seq/vocab';
import { TupleIndex, buildWindows, scatterScores, scoringWindows } from '../seq/windows';
import type { WindowSet } from '../seq/windows';

/**
 * Default window length: 10, as DeepLog (the usual history for syscall and log LSTMs), the same as
 * lib/nn's MODEL_DEFAULTS.n. The paper gives no n.
 */
export const DEFAULT_N = MODEL_DEFAULTS.n;

/** Scores the tokens of sequences under a next-token model. */
export interface SequenceScorer {
  /** Window length: the tokens of context each score looks at. */
  readonly n: number;
  /**
   * P(token i | tokens i-n..i-1) for every position of every sequence; NaN for the first n
   * positions, which have no window (they count neither as signals nor in a likelihood).
   */
  score(sequences: readonly (readonly string[])[]): Promise<Float32Array[]>;
}

/** A scorer over a trained LSTM and its vocabulary; each unique window is run once (scoringWindows). */
export function lstmScorer(model: NextTokenModel, vocab: Vocab, opts: PredictOptions = {}): SequenceScorer {
  const n = model.config.n;
  return {
    n,
    async score(sequences) {
      const w = scoringWindows(sequences.map((s) => vocab.encode(s)), n);
      const scores = w.unique > 0 ? await predictScores(model, w, opts) : new Float32Array(0);
      return w.rows.map((rows) => scatterScores(rows, scores));
    },
  };
}

/**
 * The exact n-gram model of some training sequences: P(next | window) = count(window, next) /
 * count(window), and 0 after a window never seen. It is what an LSTM approximates with unlimited
 * capacity and no generalisation.
 */
export function ngramScorer(training: Iterable<readonly string[]>, n: number): SequenceScorer {
  const sequences = [...training];
  const vocab = Vocab.build(sequences);
  return countScorer(buildWindows(sequences.map((s) => vocab.encode(s)), n), vocab);
}

/** The n-gram scorer of windows already counted (buildWindows) under their vocabulary. */
function countScorer(data: WindowSet, vocab: Vocab): SequenceScorer {
  const { n } = data;
  const pairs = new TupleIndex(n + 1, data.unique);
  const contexts = new TupleIndex(n, data.unique);
  const tuple = new Int32Array(n + 1);
  for (let r = 0; r < data.unique; r++) {
    tuple.set(data.windows.subarray(r * n, r * n + n));
    tuple[n] = data.next[r];
    pairs.add(tuple, 0, data.counts[r]);
    contexts.add(tuple, 0, data.counts[r]);
  }
  return {
    n,
    async score(sequences) {
      const w = scoringWindows(sequences.map((s) => vocab.encode(s)), n);
      const scores = new Float32Array(w.unique);
      for (let r = 0; r < w.unique; r++) {
        tuple.set(w.windows.subarray(r * n, r * n + n));
        tuple[n] = w.next[r];
        const pair = pairs.find(tuple, 0);
        // Unknown tokens encode as UNK, which no training window holds: probability 0.
        scores[r] = pair < 0 ? 0 : pairs.countOf(pair) / contexts.countOf(contexts.find(tuple, 0));
      }
      return w.rows.map((rows) => scatterScores(rows, scores));
    },
  };
}

/** A scorer that remembers the score of every (window, next) it has seen, and counts its work. */
export interface CachedScorer extends SequenceScorer {
  /** Positions scored from the cache, and unique (window, next) pairs sent to the model. */
  readonly hits: number;
  readonly misses: number;
}

/**
 * Wraps a scorer so that each unique (window, next) pair is scored by the model once for the life
 * of the wrapper: the candidate combinations of a trace share most of their windows (every
 * combination holds the same prefix up to the first slot where they differ, and the same threads'
 * windows wherever they do not interleave with another choice), and traces of one type repeat the
 * same windows. Scores are the model's own, so the search's result is unchanged.
 */
export function cachedScorer(inner: SequenceScorer): CachedScorer {
  const { n } = inner;
  const memo = new Map<string, number>();
  const key = (seq: readonly string[], i: number) => seq.slice(i - n, i + 1).join('\u0000');
  const out = {
    n,
    hits: 0,
    misses: 0,
    async score(sequences: readonly (readonly string[])[]): Promise<Float32Array[]> {
      const todo = new Map<string, readonly string[]>();
      for (const seq of sequences) {
        for (let i = n; i < seq.length; i++) {
          const k = key(seq, i);
          if (memo.has(k)) out.hits++;
          else if (!todo.has(k)) todo.set(k, seq.slice(i - n, i + 1));
          else out.hits++;
        }
      }
      if (todo.size > 0) {
        const scores = await inner.score([...todo.values()]);
        [...todo.keys()].forEach((k, j) => memo.set(k, scores[j][n]));
        out.misses += todo.size;
      }
      return sequences.map((seq) => {
        const s = new Float32Array(seq.length).fill(NaN);
        for (let i = n; i < seq.length; i++) s[i] = memo.get(key(seq, i))!;
        return s;
      });
    },
  };
  return out;
}

/** The token that pads the start of every sequence a model learns or scores (it has no ":", so no service:syscall token equals it). */
export const START_TOKEN = '<s>';

/** n start tokens, then the sequence. */
export function padStart(tokens: readonly string[], n: number): string[] {
  return [...new Array<string>(n).fill(START_TOKEN), ...tokens];
}

/**
 * The score of every token of each sequence, each after the n tokens before it in the start-padded
 * sequence ({@link padStart}), so that no token is left without a window: the first n tokens of a
 * thread or a trace are scored as its beginning. A model scored this way must be fitted to padded
 * sequences too (trainIdleModels and trainTraceModels do so).
 */
export async function scorePadded(scorer: SequenceScorer, sequences: readonly (readonly string[])[]): Promise<Float32Array[]> {
  const { n } = scorer;
  const scores = await scorer.score(sequences.map((s) => padStart(s, n)));
  return scores.map((s) => s.subarray(n));
}

/** The mean of the non-NaN scores from position `from` on; NaN when there is none. */
export function meanScore(scores: Float32Array, from = 0): number {
  let sum = 0;
  let count = 0;
  for (let i = from; i < scores.length; i++) {
    if (!Number.isNaN(scores[i])) {
      sum += scores[i];
      count++;
    }
  }
  return count === 0 ? NaN : sum / count;
}

/** Which model a fit builds. */
export type ScorerKind = 'lstm' | 'ngram';

/** Options of {@link fitScorer} (and of the idle and trace model steps built on it). */
export interface FitOptions {
  /** Window length (default {@link DEFAULT_N}). */
  n?: number;
  /** 'lstm' (default, the paper's) or 'ngram' (exact counts). */
  scorer?: ScorerKind;
  /** LSTM sizes and seed (defaults: lib/nn MODEL_DEFAULTS). */
  model?: CachedTrainOptions['model'];
  /** LSTM training settings and callbacks (defaults: lib/nn TRAIN_DEFAULTS). */
  train?: TrainOptions;
  /** Model cache folder (default: lib/nn DEFAULT_CACHE_DIR). */
  cacheDir?: string;
  /** Train again even when the cache holds the model. */
  retrain?: boolean;
  /** Batch size of LSTM scoring. */
  predict?: PredictOptions;
}

/** A scorer fitted to some sequences, with what went into it. */
export interface FittedScorer {
  scorer: SequenceScorer;
  kind: ScorerKind;
  n: number;
  vocab: Vocab;
  /** Raw windows, unique (window, next) pairs, and their ratio (the work deduplication saves). */
  windows: { total: number; unique: number; ratio: number };
  /** LSTM only: whether the model came from the cache, its cache key, and the training history. */
  cached: boolean | null;
  cacheKey: string | null;
  history: TrainHistory | null;
}

/**
 * Fits a next-token scorer to token sequences (one per thread, or one per trace): windows of length
 * n per sequence, deduplicated with counts, then the LSTM (trained or taken from the model cache)
 * or the n-gram counts. Throws when no sequence is longer than n (there is no window to learn from).
 */
export async function fitScorer(sequences: readonly (readonly string[])[], opts: FitOptions = {}): Promise<FittedScorer> {
  const n = opts.n ?? DEFAULT_N;
  const kind = opts.scorer ?? 'lstm';
  const vocab = Vocab.build(sequences);
  const data = buildWindows(sequences.map((s) => vocab.encode(s)), n);
  if (data.unique === 0) throw new Error(`no window to learn from: all ${sequences.length} sequence(s) have at most n = ${n} tokens`);
  const windows = { total: data.total, unique: data.unique, ratio: data.ratio };
  if (kind === 'ngram') return { scorer: countScorer(data, vocab), kind, n, vocab, windows, cached: null, cacheKey: null, history: null };
  const fit = await trainCached(data, vocab, { model: opts.model, train: opts.train, dir: opts.cacheDir, retrain: opts.retrain });
  return { scorer: lstmScorer(fit.model, fit.vocab, opts.predict), kind, n, vocab: fit.vocab, windows, cached: fit.hit, cacheKey: fit.key, history: fit.history };
}
