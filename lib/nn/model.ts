/**
 * The next-token model: a window of n token ids in, a softmax over the vocabulary out (the paper's
 * LSTM over syscall n-grams, §4.1 and §4.3).
 *
 * Input encoding: the window goes in one-hot ([batch, n, vocabSize], built by {@link oneHotWindows})
 * and a bias-free dense layer maps each one-hot row to its embedding. That is exactly an embedding
 * lookup (row `id` of the kernel), but it trains on every backend: tf.layers.embedding's gradient
 * needs the UnsortedSegmentSum kernel, which the wasm backend (the one that runs where the native
 * bindings do not install) lacks. Keeping the one-hot outside the network keeps the saved topology
 * made of stock layers only, loadable by any TensorFlow.js.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend';

/** Sizes of a model. */
export interface ModelConfig {
  /** Window length (tokens of context). */
  n: number;
  /** Vocabulary size, the unknown token included (Vocab.size). */
  vocabSize: number;
  /** Embedding width. */
  embedding: number;
  /** LSTM units per layer. */
  hidden: number;
  /** Stacked LSTM layers. */
  layers: number;
  /** Seed of the weight initialisation. */
  seed: number;
}

/**
 * Defaults: n = 10 and 64 LSTM units as in DeepLog (the usual syscall/log LSTM: history 10,
 * 64 units); one layer instead of DeepLog's two, because idle routines are short loops a single
 * layer learns and the kit is sized for 2 CPU cores; an embedding of 16, ample for per-service
 * vocabularies of tens of syscalls.
 */
export const MODEL_DEFAULTS: Omit<ModelConfig, 'vocabSize'> = { n: 10, embedding: 16, hidden: 64, layers: 1, seed: 1 };

/** Model options: the vocabulary size, and any size to override in {@link MODEL_DEFAULTS}. */
export type ModelOptions = Partial<ModelConfig> & { vocabSize: number };

/**
 * A next-token model: its sizes and the network. The tf.layers network holds the weights (saved,
 * loaded and cached in its format); train and predict take this object, so a faster engine can
 * compute with the same weights behind the same functions.
 */
export interface NextTokenModel {
  readonly config: ModelConfig;
  readonly net: tf.LayersModel;
}

/** The full configuration for some options, validated. */
export function resolveConfig(opts: ModelOptions): ModelConfig {
  const config: ModelConfig = { ...MODEL_DEFAULTS, ...opts };
  for (const key of ['n', 'vocabSize', 'embedding', 'hidden', 'layers'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) throw new Error(`model ${key} must be a positive integer, got ${config[key]}`);
  }
  if (!Number.isInteger(config.seed)) throw new Error(`model seed must be an integer, got ${config.seed}`);
  return config;
}

/**
 * Builds a model with seeded initial weights (same config, same weights), on the backend
 * {@link initBackend} picks. The LSTM uses the standard sigmoid gates (tfjs defaults to a hard
 * sigmoid; Keras and PyTorch use the sigmoid) and Keras' unit forget bias; its recurrent kernel is
 * Glorot-uniform rather than orthogonal, since tfjs' orthogonal initialiser runs a QR and warns on
 * every matrix above 2000 elements, and these small models train well either way.
 */
export async function buildModel(opts: ModelOptions): Promise<NextTokenModel> {
  await initBackend();
  const config = resolveConfig(opts);
  const { n, vocabSize, embedding, hidden, layers, seed } = config;
  let nextSeed = seed;
  const init = () => tf.initializers.glorotUniform({ seed: nextSeed++ });
  const input = tf.input({ shape: [n, vocabSize], name: 'window' });
  let x = tf.layers.dense({ units: embedding, useBias: false, kernelInitializer: init(), name: 'embedding' }).apply(input) as tf.SymbolicTensor;
  for (let i = 0; i < layers; i++) {
    x = tf.layers
      .lstm({
        units: hidden,
        returnSequences: i < layers - 1,
        recurrentActivation: 'sigmoid',
        kernelInitializer: init(),
        recurrentInitializer: init(),
        unitForgetBias: true,
        name: `lstm${i + 1}`,
      })
      .apply(x) as tf.SymbolicTensor;
  }
  const output = tf.layers.dense({ units: vocabSize, activation: 'softmax', kernelInitializer: init(), name: 'next' }).apply(x) as tf.SymbolicTensor;
  return { config, net: tf.model({ inputs: input, outputs: output, name: 'next_token_lstm' }) };
}

/** Rows `from..to` of a flat window array as the network's float one-hot input [rows, n, vocabSize]. */
export function oneHotWindows(windows: Int32Array, config: ModelConfig, from = 0, to = windows.length / config.n): tf.Tensor3D {
  const { n, vocabSize } = config;
  return tf.tensor3d(oneHot(windows.subarray(from * n, to * n), vocabSize), [to - from, n, vocabSize]);
}

/**
 * One-hot rows of some ids, built in JavaScript: tf.oneHot(..., 'float32') returns all zeros on the
 * wasm backend (4.22: its kernel writes int32 ones into the float buffer).
 */
export function oneHot(ids: Int32Array, vocabSize: number): Float32Array {
  const out = new Float32Array(ids.length * vocabSize);
  for (let i = 0; i < ids.length; i++) out[i * vocabSize + ids[i]] = 1;
  return out;
}

/** Throws unless every id is a token of the model's vocabulary (another id would spill into the next one-hot row). */
export function checkIds(ids: Int32Array, config: ModelConfig, what: string): void {
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < 0 || ids[i] >= config.vocabSize) throw new Error(`${what}: token id ${ids[i]} at index ${i} is outside the model's vocabulary 0..${config.vocabSize - 1}`);
  }
}
