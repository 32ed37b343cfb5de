/**
 * The fast engine: the LSTM kernel (kernel.ts) on the calling thread or on worker threads
 * (pool.ts), and an Adam optimizer over the flat parameter vector. Results are the same whatever
 * the number of workers: a window's probabilities are the same bits however windows are grouped
 * into kernel calls, and a training batch is always cut into the same shards whose gradients are
 * summed in the same order.
 */
import { LstmKernel } from './kernel';
import type { KernelSizes } from './kernel';
import { kernelPool } from './pool';

/** Windows per kernel call when scoring each window on its own (larger batches leave the cache). */
export const SCORE_CHUNK = 512;

/** Sorted windows per prefix-tree kernel call: more share more prefixes; 8192 keep the states (4 x 2 MB at 64 units) in memory cheaply. */
export const TREE_CHUNK = 8192;

/**
 * Shards a training batch is cut into, whatever the number of workers: so training keeps at most
 * this many workers busy (2: the cores of the machine the kit was tuned on).
 */
export const GRAD_SHARDS = 2;

let local: LstmKernel | null = null;

/** The calling thread's kernel instance. */
function localKernel(): LstmKernel {
  local ??= new LstmKernel();
  return local;
}

/**
 * Softmax probabilities [rows, V] of `rows` windows (flat, n ids each), on `workers` threads (0: this
 * one). With `prefixTree` (the default) the windows are sorted and each chunk computed over its
 * prefix tree, so a prefix shared by several windows runs once; the results are the same bits.
 */
export async function fastProbabilities(params: Float32Array, sizes: KernelSizes, windows: Int32Array, workers: number, prefixTree = true): Promise<Float32Array> {
  const { n, vocabSize: V } = sizes;
  const rows = windows.length / n;
  const order = prefixTree ? lexicographicOrder(windows, n, V) : null;
  // Enough chunks for every worker (the grouping never changes a result).
  const chunk = prefixTree ? Math.min(TREE_CHUNK, Math.max(SCORE_CHUNK, Math.ceil(rows / Math.max(1, workers)))) : SCORE_CHUNK;
  const out = new Float32Array(rows * V);
  const jobs: Promise<void>[] = [];
  for (let from = 0; from < rows; from += chunk) {
    const to = Math.min(rows, from + chunk);
    const part = new Int32Array((to - from) * n);
    for (let k = from; k < to; k++) {
      const r = order ? order[k] : k;
      part.set(windows.subarray(r * n, r * n + n), (k - from) * n);
    }
    const place = (probs: Float32Array) => {
      if (!order) out.set(probs, from * V);
      else for (let k = from; k < to; k++) out.set(probs.subarray((k - from) * V, (k - from + 1) * V), order[k] * V);
    };
    if (workers === 0) {
      const probs = new Float32Array((to - from) * V);
      if (prefixTree) localKernel().sortedProbabilities(params, sizes, part, probs);
      else localKernel().probabilities(params, sizes, part, 0, to - from, probs);
      place(probs);
    } else {
      const job = kernelPool(workers).run({ kind: 'probs', params, sizes, windows: part, prefixTree });
      jobs.push(job.then((r) => place((r as { probs: Float32Array }).probs)));
    }
  }
  await Promise.all(jobs);
  return out;
}

/** Row indices of flat windows in lexicographic order (a stable LSD radix sort over the n positions, ids below V). */
export function lexicographicOrder(windows: Int32Array, n: number, V: number): Int32Array {
  const rows = windows.length / n;
  let order = Int32Array.from({ length: rows }, (_, r) => r);
  let next = new Int32Array(rows);
  const start = new Int32Array(V + 1);
  for (let t = n - 1; t >= 0; t--) {
    start.fill(0);
    for (let k = 0; k < rows; k++) start[windows[order[k] * n + t] + 1]++;
    for (let v = 0; v < V; v++) start[v + 1] += start[v];
    for (let k = 0; k < rows; k++) next[start[windows[order[k] * n + t]]++] = order[k];
    [order, next] = [next, order];
  }
  return order;
}

/**
 * The weighted loss sum(w·l) of a batch and its gradient (not divided by the batch weight), from
 * GRAD_SHARDS fixed shards summed in order, on `workers` threads (0: this one; at most GRAD_SHARDS
 * are used, one per shard).
 */
export async function fastLossAndGradient(
  params: Float32Array,
  sizes: KernelSizes,
  windows: Int32Array,
  next: Int32Array,
  weights: Float32Array,
  workers: number,
): Promise<{ loss: number; grad: Float32Array }> {
  const rows = next.length;
  const n = sizes.n;
  const per = Math.ceil(rows / GRAD_SHARDS);
  const shards: { loss: number; grad: Float32Array }[] = [];
  const jobs: Promise<void>[] = [];
  for (let k = 0; k * per < rows; k++) {
    const from = k * per;
    const to = Math.min(rows, from + per);
    const w = windows.subarray(from * n, to * n);
    const y = next.subarray(from, to);
    const c = weights.subarray(from, to);
    if (workers === 0) {
      const grad = new Float32Array(params.length);
      shards[k] = { loss: localKernel().lossAndGradient(params, sizes, w, y, c, grad), grad };
    } else {
      const job = kernelPool(Math.min(workers, GRAD_SHARDS)).run({ kind: 'grad', params, sizes, windows: w.slice(), next: y.slice(), weights: c.slice() });
      jobs.push(job.then((r) => void (shards[k] = r as { loss: number; grad: Float32Array })));
    }
  }
  await Promise.all(jobs);
  const grad = shards[0].grad;
  let loss = shards[0].loss;
  for (let k = 1; k < shards.length; k++) {
    loss += shards[k].loss;
    const g = shards[k].grad;
    for (let i = 0; i < grad.length; i++) grad[i] += g[i];
  }
  return { loss, grad };
}

/**
 * Adam on a flat parameter vector, with TensorFlow.js' defaults and update rule (beta1 0.9, beta2
 * 0.999, epsilon 1e-7, bias correction by beta^t), so both engines take the same kind of step.
 */
export class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private beta1t = 1;
  private beta2t = 1;

  constructor(size: number, private readonly learningRate: number, private readonly beta1 = 0.9, private readonly beta2 = 0.999, private readonly epsilon = 1e-7) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  /** One step on `params` in place with gradient `grad` scaled by `scale`. */
  step(params: Float32Array, grad: Float32Array, scale: number): void {
    const { m, v, beta1: b1, beta2: b2 } = this;
    this.beta1t *= b1;
    this.beta2t *= b2;
    const c1 = 1 - this.beta1t;
    const c2 = 1 - this.beta2t;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i] * scale;
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      params[i] -= (this.learningRate * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + this.epsilon);
    }
  }
}
