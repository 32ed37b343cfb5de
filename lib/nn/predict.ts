/**
 * Scoring: the probability the model gives to the token that actually follows each window, the
 * paper's prediction score (§4.2: signal syscalls score below a threshold; §4.4: a candidate's
 * likelihood is the mean score).
 *
 * Two engines compute it from the same weights: the fast engine (default for one-layer models: the
 * WebAssembly kernel, on worker threads for large sets, with a per-model cache of the probabilities
 * of every window it has scored) and tf.layers (`engine: 'layers'`, and any stacked model).
 */
import * as tf from '@tensorflow/tfjs';
import { TupleIndex } from '../seq/windows';
import type { Windows } from '../seq/windows';
import { fastProbabilities } from './fast';
import { checkIds, oneHotWindows } from './model';
import type { ModelConfig, NextTokenModel } from './model';
import { defaultWorkers } from './pool';
import { fastEngineSupports, kernelSizes, readParams } from './weights';

/** Which engine computes: 'fast' (the WebAssembly kernel; one LSTM layer only) or 'layers' (tf.layers). */
export type Engine = 'fast' | 'layers';

/** Options for {@link predictScores}. */
export interface PredictOptions {
  /** Engine (default 'fast' for one-layer models; stacked models always run on tf.layers). */
  engine?: Engine;
  /** tf.layers engine: windows per forward pass (default 512: the fastest on wasm here, though 256 to 1024 are within 15%; memory is batch x vocabSize floats). */
  batchSize?: number;
  /** Fast engine: worker threads (0: the calling thread; default: one per core when at least WORKER_MIN_WINDOWS windows are new). */
  workers?: number;
  /** Fast engine: reuse and extend the model's cache of window probabilities (default true). */
  cache?: boolean;
  /** Fast engine: compute prefixes shared by several windows once (default true; false computes each window on its own, for comparison: the same results). */
  prefixTree?: boolean;
}

/** New windows below which scoring stays on the calling thread: starting workers costs ~0.3 s. */
export const WORKER_MIN_WINDOWS = 16384;

/** The engine a model runs on for a requested engine. */
export function resolveEngine(requested: Engine | undefined, config: ModelConfig): Engine {
  return requested === 'layers' || !fastEngineSupports(config) ? 'layers' : 'fast';
}

/**
 * P(next[i] | window i) for every row. Rows sharing a window (the same context followed by different
 * tokens) are computed once; pass deduplicated rows (buildWindows, scoringWindows) so that each
 * unique (window, next) pair is also looked up once.
 */
export async function predictScores(model: NextTokenModel, rows: Windows, opts: PredictOptions = {}): Promise<Float32Array> {
  const { config } = model;
  const n = config.n;
  if (rows.n !== n) throw new Error(`predictScores: windows have n = ${rows.n}, the model n = ${n}`);
  checkIds(rows.windows, config, 'predictScores windows');
  checkIds(rows.next, config, 'predictScores next');
  return resolveEngine(opts.engine, config) === 'fast' ? fastScores(model, rows, opts) : layersScores(model, rows, opts.batchSize ?? 512);
}

/** The probabilities of the windows a model has scored, valid while its weights hash to `key`. */
interface ScoreCache {
  key: string;
  index: TupleIndex;
  /** Row r's probabilities at r * vocabSize. */
  probs: Float32Array;
  /** Calls on one model run one after the other, so a window in the index always has its row filled. */
  queue: Promise<unknown>;
}

/** Cached probabilities per model at most (floats; 32M = 128 MB), beyond which the cache starts over. */
const CACHE_MAX_FLOATS = 32 * 1024 * 1024;

const caches = new WeakMap<NextTokenModel, ScoreCache>();

async function fastScores(model: NextTokenModel, rows: Windows, opts: PredictOptions): Promise<Float32Array> {
  const params = readParams(model);
  const key = hashFloats(params);
  let cache = opts.cache === false ? undefined : caches.get(model);
  if (!cache || cache.key !== key) {
    cache = { key, index: new TupleIndex(model.config.n), probs: new Float32Array(0), queue: Promise.resolve() };
    if (opts.cache !== false) caches.set(model, cache);
  }
  const c = cache;
  const result = c.queue.then(() => scoreWithCache(model, params, c, rows, opts));
  c.queue = result.catch(() => undefined);
  return result;
}

async function scoreWithCache(model: NextTokenModel, params: Float32Array, cache: ScoreCache, rows: Windows, opts: PredictOptions): Promise<Float32Array> {
  const { n, vocabSize: V } = model.config;
  const count = rows.next.length;
  if ((cache.index.size + count) * V > CACHE_MAX_FLOATS) {
    cache.index = new TupleIndex(n);
    cache.probs = new Float32Array(0);
  }
  const before = cache.index.size;
  const contextOf = new Int32Array(count);
  const fresh: number[] = [];
  for (let r = 0; r < count; r++) {
    const row = cache.index.add(rows.windows, r * n);
    contextOf[r] = row;
    if (row === before + fresh.length) fresh.push(r);
  }
  if (fresh.length > 0) {
    const windows = new Int32Array(fresh.length * n);
    fresh.forEach((r, k) => windows.set(rows.windows.subarray(r * n, r * n + n), k * n));
    const workers = opts.workers ?? (fresh.length >= WORKER_MIN_WINDOWS ? defaultWorkers() : 0);
    const probs = await fastProbabilities(params, kernelSizes(model.config), windows, workers, opts.prefixTree ?? true);
    if (cache.probs.length < cache.index.size * V) {
      const grown = new Float32Array(Math.max(cache.index.size * V, cache.probs.length * 2));
      grown.set(cache.probs.subarray(0, before * V));
      cache.probs = grown;
    }
    cache.probs.set(probs, before * V);
  }
  const scores = new Float32Array(count);
  for (let r = 0; r < count; r++) scores[r] = cache.probs[contextOf[r] * V + rows.next[r]];
  return scores;
}

/** Two 32-bit hashes of some floats' bits (FNV-1a and a multiply-rotate): a change of any weight changes the key (up to a 2^-64 collision). */
function hashFloats(a: Float32Array): string {
  const bits = new Int32Array(a.buffer, a.byteOffset, a.length);
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = 0; i < bits.length; i++) {
    h1 = Math.imul(h1 ^ bits[i], 0x01000193);
    h2 = Math.imul((h2 << 13) | (h2 >>> 19), 5) ^ Math.imul(bits[i], 0xcc9e2d51);
  }
  return `${h1 >>> 0}:${h2 >>> 0}`;
}

async function layersScores(model: NextTokenModel, rows: Windows, batchSize: number): Promise<Float32Array> {
  const { config, net } = model;
  const { n, vocabSize } = config;
  const count = rows.next.length;
  // Unique contexts, and the rows of each context contiguous (a counting sort by context).
  const contexts = new TupleIndex(n, count);
  const contextOf = new Int32Array(count);
  for (let r = 0; r < count; r++) contextOf[r] = contexts.add(rows.windows, r * n);
  const unique = contexts.size;
  const start = new Int32Array(unique + 1);
  for (let r = 0; r < count; r++) start[contextOf[r] + 1]++;
  for (let c = 0; c < unique; c++) start[c + 1] += start[c];
  const fill = start.slice(0, unique);
  const byContext = new Int32Array(count);
  for (let r = 0; r < count; r++) byContext[fill[contextOf[r]]++] = r;

  const windows = contexts.tuples();
  const scores = new Float32Array(count);
  for (let from = 0; from < unique; from += batchSize) {
    const to = Math.min(unique, from + batchSize);
    const probs = tf.tidy(() => net.predict(oneHotWindows(windows, config, from, to), { batchSize: to - from }) as tf.Tensor2D);
    const p = await probs.data();
    probs.dispose();
    for (let k = start[from]; k < start[to]; k++) {
      const r = byContext[k];
      scores[r] = p[(contextOf[r] - from) * vocabSize + rows.next[r]];
    }
  }
  return scores;
}
