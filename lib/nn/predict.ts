/**
 * Scoring: the probability the model gives to the token that actually follows each window, the
 * paper's prediction score (§4.2: signal syscalls score below a threshold; §4.4: a candidate's
 * likelihood is the mean score).
 */
import * as tf from '@tensorflow/tfjs';
import { TupleIndex } from '../seq/windows';
import type { Windows } from '../seq/windows';
import { checkIds, oneHotWindows } from './model';
import type { NextTokenModel } from './model';

/** Options for {@link predictScores}. */
export interface PredictOptions {
  /** Windows per forward pass (default 512: the fastest on wasm here, though 256 to 1024 are within 15%; memory is batch x vocabSize floats). */
  batchSize?: number;
}

/**
 * P(next[i] | window i) for every row. Rows sharing a window (the same context followed by different
 * tokens) run through the network once; pass deduplicated rows (buildWindows, scoringWindows) so that
 * each unique (window, next) pair is also scored once. Async so that an engine running on worker
 * threads can stand behind the same call.
 */
export async function predictScores(model: NextTokenModel, rows: Windows, opts: PredictOptions = {}): Promise<Float32Array> {
  const { config, net } = model;
  const { n, vocabSize } = config;
  if (rows.n !== n) throw new Error(`predictScores: windows have n = ${rows.n}, the model n = ${n}`);
  const batchSize = opts.batchSize ?? 512;
  checkIds(rows.windows, config, 'predictScores windows');
  checkIds(rows.next, config, 'predictScores next');
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
