/**
 * Scoring: the probability the model gives to the token that actually follows each window, the
 * paper's prediction score (§4.2: signal syscalls score below a threshold; §4.4: a candidate's
 * likelihood is the mean score).
 *
 * Two engines compute it from the same weights: the fast engine (default for one-layer models: the
 * WebAssembly kernel, on worker threads for large sets, with a cache per model of the probabilities
 * of the windows it has scored, CACHE_MAX_FLOATS for all models together) and tf.layers (`engine: 'layers'`, and any stacked model).
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
  vocabSize: number;
  /** Windows whose probabilities are in `probs`: a window enters only once its row is written. */
  index: TupleIndex;
  /** Row r's probabilities at r * vocabSize (the array grows by doubling). */
  probs: Float32Array;
}

/** Cached probabilities of all models together at most (floats; 32M = 128 MB): the least recently used models' caches are dropped first. */
export const CACHE_MAX_FLOATS = 32 * 1024 * 1024;

const caches = new WeakMap<NextTokenModel, ScoreCache>();
/** Every cache, least recently used first; weak, so a model's cache goes when the model does. */
let recency: WeakRef<ScoreCache>[] = [];

async function fastScores(model: NextTokenModel, rows: Windows, opts: PredictOptions): Promise<Float32Array> {
  const params = readParams(model);
  const { n, vocabSize: V } = model.config;
  const key = hashFloats(params);
  let cache = opts.cache === false ? undefined : caches.get(model);
  if (!cache || cache.key !== key) {
    cache = { key, vocabSize: V, index: new TupleIndex(n), probs: new Float32Array(0) };
    if (opts.cache !== false) caches.set(model, cache);
  }
  if (opts.cache !== false) touch(cache);
  // Cached windows are read now and new ones computed, then added: the result never depends on
  // what other calls do to the cache meanwhile, and a failed call leaves the cache as it was.
  const count = rows.next.length;
  const scores = new Float32Array(count);
  const fresh = new TupleIndex(n);
  const freshOf = new Int32Array(count).fill(-1);
  for (let r = 0; r < count; r++) {
    const row = cache.index.find(rows.windows, r * n);
    if (row >= 0) scores[r] = cache.probs[row * V + rows.next[r]];
    else freshOf[r] = fresh.add(rows.windows, r * n);
  }
  if (fresh.size === 0) return scores;
  const windows = fresh.tuples();
  const workers = opts.workers ?? (fresh.size >= WORKER_MIN_WINDOWS ? defaultWorkers() : 0);
  const probs = await fastProbabilities(params, kernelSizes(model.config), windows, workers, opts.prefixTree ?? true);
  for (let r = 0; r < count; r++) if (freshOf[r] >= 0) scores[r] = probs[freshOf[r] * V + rows.next[r]];
  if (opts.cache !== false) store(cache, windows, probs);
  return scores;
}

/** Adds computed windows (those not already there) and their probabilities to a cache, within the global limit. */
function store(cache: ScoreCache, windows: Int32Array, probs: Float32Array): void {
  const V = cache.vocabSize;
  const rows = probs.length / V;
  const needed = (cache.index.size + rows) * V;
  if (needed > cache.probs.length) {
    const size = Math.max(needed, Math.min(2 * cache.probs.length, CACHE_MAX_FLOATS));
    if (!makeRoom(cache, size - cache.probs.length)) {
      // Too large even alone: start over with these windows, if they fit.
      clear(cache);
      if (rows * V <= CACHE_MAX_FLOATS) store(cache, windows, probs);
      return;
    }
    const grown = new Float32Array(size);
    grown.set(cache.probs.subarray(0, cache.index.size * V));
    cache.probs = grown;
  }
  const n = cache.index.width;
  for (let k = 0; k < rows; k++) {
    const before = cache.index.size;
    const row = cache.index.add(windows, k * n);
    if (row === before) cache.probs.set(probs.subarray(k * V, (k + 1) * V), row * V);
  }
}

/** Floats the score caches of all models hold together (at most CACHE_MAX_FLOATS). */
export function scoreCacheFloats(): number {
  return recency.reduce((sum, ref) => sum + (ref.deref()?.probs.length ?? 0), 0);
}

/** Marks a cache as the most recently used (and forgets caches that were collected). */
function touch(cache: ScoreCache): void {
  recency = recency.filter((ref) => {
    const c = ref.deref();
    return c !== undefined && c !== cache;
  });
  recency.push(new WeakRef(cache));
}

/**
 * Drops the least recently used other caches until `floats` more fit under CACHE_MAX_FLOATS
 * beside `cache`'s; false if they would not fit even alone (nothing is dropped then).
 */
function makeRoom(cache: ScoreCache, floats: number): boolean {
  if (cache.probs.length + floats > CACHE_MAX_FLOATS) return false;
  const others = recency.map((ref) => ref.deref()).filter((c): c is ScoreCache => c !== undefined && c !== cache);
  let total = others.reduce((sum, c) => sum + c.probs.length, cache.probs.length + floats);
  for (const c of others) {
    if (total <= CACHE_MAX_FLOATS) break;
    total -= c.probs.length;
    clear(c);
  }
  return true;
}

function clear(cache: ScoreCache): void {
  cache.index = new TupleIndex(cache.index.width);
  cache.probs = new Float32Array(0);
}

/**
 * Two 32-bit hashes of some floats' bits (FNV-1a and a multiply-rotate). Every step of each is a
 * bijection of the running hash and of the word it takes in, so a change of any one weight always
 * changes both; changes of several weights (a training step) collide only by chance, about 2^-64
 * if the two behave as independent random hashes. Not cryptographic: weights could be crafted to
 * collide.
 */
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
