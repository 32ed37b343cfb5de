/**
 * The fast engine's LSTM arithmetic: forward pass, softmax and exact backward pass of the one-layer
 * next-token model, compiled from lstm-kernel.c to WebAssembly with SIMD (the .c file says how to
 * rebuild it). Plain JavaScript around it, no TensorFlow.js, so worker threads load it cheaply.
 *
 * Why not TensorFlow.js ops: on its wasm backend (the one that installs here) every op costs ~50 µs
 * of dispatch, slices copy, gather is a scalar loop and transposed matMuls are slow, so an LSTM step
 * is dominated by overhead; one kernel call per batch has none of that, reads tokens as table rows
 * instead of one-hot products, and fuses each step's gate arithmetic.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The sizes the kernel computes with. */
export interface KernelSizes {
  /** Window length. */
  n: number;
  vocabSize: number;
  embedding: number;
  hidden: number;
}

/** Floats of the parameter vector: the tf.layers weights in net.getWeights() order, concatenated. */
export function paramCount(s: KernelSizes): number {
  const { vocabSize: V, embedding: E, hidden: H } = s;
  return V * E + E * 4 * H + H * 4 * H + 4 * H + H * V + V;
}

/** The part of the WebAssembly API used here (the kit's TypeScript lib settings do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (desc: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  lstm_workspace(V: number, E: number, H: number, n: number, B: number, save: number): number;
  lstm_probs_offset(V: number, E: number, H: number, n: number, B: number, save: number): number;
  lstm_forward(P: number, V: number, E: number, H: number, n: number, B: number, X: number, ws: number, save: number): void;
  lstm_backward(P: number, G: number, V: number, E: number, H: number, n: number, B: number, X: number, ws: number): void;
  lstm_trie_workspace(V: number, E: number, H: number, R: number): number;
  lstm_forward_trie(P: number, V: number, E: number, H: number, n: number, counts: number, parent: number, token: number, ws: number): void;
  __heap_base: { value: number };
}

let bytes: Uint8Array | null = null;
let compiled: object | null = null;

/** The kernel's WebAssembly bytes (lstm-kernel.wasm), read once per thread. */
export function kernelBytes(): Uint8Array {
  bytes ??= readFileSync(path.join(__dirname, 'lstm-kernel.wasm'));
  return bytes;
}

/** One instance of the kernel with its own memory (one per thread). */
export class LstmKernel {
  private readonly exports: Exports;
  private readonly memory = new wasm.Memory({ initial: 32 });
  private readonly base: number;

  constructor() {
    compiled ??= new wasm.Module(kernelBytes());
    this.exports = new wasm.Instance(compiled, { env: { memory: this.memory } }).exports as unknown as Exports;
    this.base = (this.exports.__heap_base.value + 63) & ~63;
  }

  /**
   * Softmax probabilities [rows, V] of windows `from..to` (flat, n ids each), written into `out`
   * at row offset 0. Rows are computed independently: a row's result does not depend on the batch.
   */
  probabilities(params: Float32Array, s: KernelSizes, windows: Int32Array, from: number, to: number, out: Float32Array): void {
    const B = to - from;
    const m = this.layout(params, s, B, 0);
    new Int32Array(this.memory.buffer, m.X, B * s.n).set(windows.subarray(from * s.n, to * s.n));
    this.exports.lstm_forward(m.P, s.vocabSize, s.embedding, s.hidden, s.n, B, m.X, m.ws, 0);
    out.set(new Float32Array(this.memory.buffer, m.probs, B * s.vocabSize));
  }

  /**
   * Softmax probabilities [rows, V] of distinct windows sorted in lexicographic order (flat, n ids
   * each), into `out`, over their prefix tree: a prefix shared by several windows is computed once,
   * with the same arithmetic as {@link probabilities}, so the results are the same bits.
   */
  sortedProbabilities(params: Float32Array, s: KernelSizes, windows: Int32Array, out: Float32Array): void {
    const { n, vocabSize: V, embedding: E, hidden: H } = s;
    const tree = prefixTree(windows, n);
    const nodes = tree.token.length;
    const rows = windows.length / n;
    const align = (x: number) => (x + 63) & ~63;
    const P = this.base;
    const counts = align(P + params.length * 4);
    const parent = align(counts + n * 4);
    const token = align(parent + nodes * 4);
    const ws = align(token + nodes * 4);
    this.reserve(ws + this.exports.lstm_trie_workspace(V, E, H, rows) * 4);
    const buffer = this.memory.buffer;
    new Float32Array(buffer, P, params.length).set(params);
    new Int32Array(buffer, counts, n).set(tree.counts);
    new Int32Array(buffer, parent, nodes).set(tree.parent);
    new Int32Array(buffer, token, nodes).set(tree.token);
    this.exports.lstm_forward_trie(P, V, E, H, n, counts, parent, token, ws);
    out.set(new Float32Array(buffer, ws, rows * V));
  }

  /**
   * Weighted cross-entropy sum(w·l) of some windows' next tokens, and its gradient added to `grad`
   * (same layout as params). A probability below EPSILON is clipped to it, with no gradient, as the
   * tf.layers path's loss does.
   */
  lossAndGradient(params: Float32Array, s: KernelSizes, windows: Int32Array, next: Int32Array, weights: Float32Array, grad: Float32Array): number {
    const B = next.length;
    const V = s.vocabSize;
    const m = this.layout(params, s, B, 1);
    new Int32Array(this.memory.buffer, m.X, B * s.n).set(windows);
    const G = new Float32Array(this.memory.buffer, m.G, grad.length);
    G.set(grad);
    this.exports.lstm_forward(m.P, V, s.embedding, s.hidden, s.n, B, m.X, m.ws, 1);
    const p = new Float32Array(this.memory.buffer, m.probs, B * V);
    let loss = 0;
    for (let b = 0; b < B; b++) {
      const row = b * V;
      const picked = p[row + next[b]];
      const w = weights[b];
      loss += w * -Math.log(Math.min(1, Math.max(EPSILON, picked)));
      // d(-log p_y)/d logits = p - onehot(y); zero where the clip holds the loss constant.
      if (picked < EPSILON) p.fill(0, row, row + V);
      else {
        for (let v = 0; v < V; v++) p[row + v] *= w;
        p[row + next[b]] -= w;
      }
    }
    this.exports.lstm_backward(m.P, m.G, V, s.embedding, s.hidden, s.n, B, m.X, m.ws);
    grad.set(G);
    return loss;
  }

  /** Grows the memory to at least `bytes`. */
  private reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
  }

  /** Places params, gradient, windows and workspace in memory (growing it if needed) and copies params in. */
  private layout(params: Float32Array, s: KernelSizes, B: number, save: number) {
    const { vocabSize: V, embedding: E, hidden: H, n } = s;
    const align = (x: number) => (x + 63) & ~63;
    const P = this.base;
    const G = align(P + params.length * 4);
    const X = align(G + params.length * 4);
    const ws = align(X + B * n * 4);
    this.reserve(ws + this.exports.lstm_workspace(V, E, H, n, B, save) * 4);
    new Float32Array(this.memory.buffer, P, params.length).set(params);
    return { P, G, X, ws, probs: ws + this.exports.lstm_probs_offset(V, E, H, n, B, save) * 4 };
  }
}

/**
 * The prefix tree of windows sorted in lexicographic order, level by level: level t holds the
 * distinct prefixes of length t+1 in order, each with its last token and its parent's index in
 * level t-1 (arrays concatenated over levels). Sorted rows make equal prefixes contiguous: row r
 * starts a node at every level from the first position where it differs from row r-1. A repeated
 * window gets a leaf of its own, so the last level always has one node per row.
 */
export function prefixTree(windows: Int32Array, n: number): { counts: Int32Array; parent: Int32Array; token: Int32Array } {
  const rows = windows.length / n;
  const counts = new Int32Array(n);
  const levelToken = Array.from({ length: n }, () => new Int32Array(rows));
  const levelParent = Array.from({ length: n }, () => new Int32Array(rows));
  for (let r = 0; r < rows; r++) {
    let d = 0;
    if (r > 0) {
      while (d < n && windows[r * n + d] === windows[(r - 1) * n + d]) d++;
      if (d === n) d = n - 1;
    }
    for (let t = d; t < n; t++) {
      const k = counts[t]++;
      levelToken[t][k] = windows[r * n + t];
      levelParent[t][k] = t > 0 ? counts[t - 1] - 1 : -1;
    }
  }
  let total = 0;
  for (let t = 0; t < n; t++) total += counts[t];
  const parent = new Int32Array(total);
  const token = new Int32Array(total);
  let at = 0;
  for (let t = 0; t < n; t++) {
    parent.set(levelParent[t].subarray(0, counts[t]), at);
    token.set(levelToken[t].subarray(0, counts[t]), at);
    at += counts[t];
  }
  return { counts, parent, token };
}

/** Keras' clipping of probabilities before the log, so a zero probability gives a finite loss. */
export const EPSILON = 1e-7;
