/**
 * The fast engine's view of a model's weights: the tf.layers network's weights (which stay the
 * model's store, so saving, loading and the cache are unchanged) copied into one flat Float32Array
 * and back.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelSizes } from './kernel';
import { paramCount } from './kernel';
import type { ModelConfig, NextTokenModel } from './model';

/** Whether the fast engine computes this model: one LSTM layer (a stacked model runs on tf.layers). */
export function fastEngineSupports(config: ModelConfig): boolean {
  return config.layers === 1;
}

/** The sizes the kernel needs, from a model config. */
export function kernelSizes(config: ModelConfig): KernelSizes {
  return { n: config.n, vocabSize: config.vocabSize, embedding: config.embedding, hidden: config.hidden };
}

/** The shapes of the one-layer model's weights, in net.getWeights() order. */
function shapes(config: ModelConfig): number[][] {
  const { vocabSize: V, embedding: E, hidden: H } = config;
  return [[V, E], [E, 4 * H], [H, 4 * H], [4 * H], [H, V], [V]];
}

/** The network's weights as one flat vector (see paramCount's layout). */
export function readParams(model: NextTokenModel): Float32Array {
  const weights = model.net.getWeights();
  const expected = shapes(model.config);
  if (weights.length !== expected.length || weights.some((w, k) => w.shape.join() !== expected[k].join())) {
    throw new Error(`fast engine: expected weights of shapes ${JSON.stringify(expected)}, found ${JSON.stringify(weights.map((w) => w.shape))}`);
  }
  const out = new Float32Array(paramCount(kernelSizes(model.config)));
  let at = 0;
  for (const w of weights) {
    const data = w.dataSync() as Float32Array;
    out.set(data, at);
    at += data.length;
  }
  return out;
}

/** Writes a flat vector back into the network's weights. */
export function writeParams(model: NextTokenModel, params: Float32Array): void {
  let at = 0;
  const tensors = shapes(model.config).map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(params.slice(at, at + size), shape);
    at += size;
    return t;
  });
  model.net.setWeights(tensors);
  tf.dispose(tensors);
}
