/**
 * A cache of trained models, so that rerunning a notebook or the main job reuses a model instead of
 * training it again. The key is a sha256 of everything that determines the trained weights: the
 * training data (unique windows, next ids, counts), the vocabulary, the model config (sizes and seed),
 * the training settings (seeds included), the TensorFlow.js version and the fast engine's kernel
 * (a sha256 of lstm-kernel.wasm: a rebuilt kernel may round differently). Progress callbacks are not
 * part of it; neither is the backend (a model trained on wasm serves on cpu: the same seeds give the
 * same model up to float rounding).
 */
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Vocab } from '../seq/vocab';
import type { WindowSet } from '../seq/windows';
import { kernelBytes } from './kernel';
import { buildModel, resolveConfig } from './model';
import type { ModelConfig, NextTokenModel } from './model';
import { loadModel, saveModel } from './persist';
import { resolveTrainSettings, train } from './train';
import type { TrainHistory, TrainOptions, TrainSettings } from './train';

/** Where cached models go unless told otherwise: .cache/models/ under the project root. */
export const DEFAULT_CACHE_DIR = path.resolve(__dirname, '..', '..', '.cache', 'models');

/** Bump when a change to the training code makes earlier cached models stale (2: epochs of whole passes, validation split of the raw windows; 3: the fast engine by default; 4: the kit's Rng for the split and shuffles, the kernel's hash in the key). */
const KEY_VERSION = 4;

let kernelHash: string | null = null;

/** The sha256 (hex) of the fast engine's kernel, lstm-kernel.wasm (computed once). */
export function kernelDigest(): string {
  kernelHash ??= createHash('sha256').update(kernelBytes()).digest('hex');
  return kernelHash;
}

/** Options for {@link trainCached}. */
export interface CachedTrainOptions {
  /** Model sizes and seed to override in MODEL_DEFAULTS (n and vocabSize come from the data and the vocabulary). */
  model?: Partial<Omit<ModelConfig, 'n' | 'vocabSize'>>;
  /** Training settings and progress callbacks. */
  train?: TrainOptions;
  /** Cache folder (default {@link DEFAULT_CACHE_DIR}). */
  dir?: string;
  /** Train even if the cache holds this model, and replace it. */
  retrain?: boolean;
}

/** A model from {@link trainCached}. */
export interface CachedModel {
  model: NextTokenModel;
  vocab: Vocab;
  /** The training history (from the cache on a hit). */
  history: TrainHistory;
  /** True if the model came from the cache, false if it was trained now. */
  hit: boolean;
  /** The cache key (sha256 hex). */
  key: string;
  /** The model's folder in the cache. */
  path: string;
}

/** The cache key of a training run (see the module comment); `kernel` is the kernel's digest (default: {@link kernelDigest}). */
export function cacheKey(data: WindowSet, vocab: Vocab, config: ModelConfig, settings: TrainSettings, kernel = kernelDigest()): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ version: KEY_VERSION, tfjs: tf.version_layers, kernel, config, settings, tokens: vocab.tokens, n: data.n, unique: data.unique }));
  for (const a of [data.windows, data.next, data.counts]) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return hash.digest('hex');
}

/**
 * The model trained on these windows with these settings: loaded from the cache when it is there
 * (`hit`), else built, trained and stored (`retrain` forces this).
 */
export async function trainCached(data: WindowSet, vocab: Vocab, opts: CachedTrainOptions = {}): Promise<CachedModel> {
  const config = resolveConfig({ ...opts.model, n: data.n, vocabSize: vocab.size });
  const settings = resolveTrainSettings(opts.train);
  const key = cacheKey(data, vocab, config, settings);
  const dir = opts.dir ?? DEFAULT_CACHE_DIR;
  const folder = path.join(dir, key);
  if (!opts.retrain && (await exists(folder))) {
    try {
      const saved = await loadModel(folder);
      return { model: saved.model, vocab: saved.vocab, history: (saved.meta as { history: TrainHistory }).history, hit: true, key, path: folder };
    } catch (e) {
      throw new Error(`model cache ${folder} is unreadable (${(e as Error).message}); delete it or pass retrain: true`);
    }
  }
  const model = await buildModel(config);
  const history = await train(model, data, opts.train);
  // Written beside under a name of its own and renamed into place, so that neither an interrupted
  // run nor another process writing the same model ever leaves a half-written entry.
  const tmp = `${folder}.tmp-${randomUUID()}`;
  try {
    await saveModel(tmp, model, vocab, { key, backend: tf.getBackend(), history });
    await replaceFolder(tmp, folder);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  return { model, vocab, history, hit: false, key, path: folder };
}

/**
 * Renames `from` to `to`, replacing a folder already there: that one is first renamed away (a
 * rename does not replace a non-empty folder), so `to` is only ever absent or complete.
 */
async function replaceFolder(from: string, to: string): Promise<void> {
  for (;;) {
    try {
      await fs.rename(from, to);
      return;
    } catch (e) {
      if (!['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
    const old = `${to}.old-${randomUUID()}`;
    try {
      await fs.rename(to, old);
    } catch (e) {
      // Another writer renamed it away first: try again.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      continue;
    }
    await fs.rm(old, { recursive: true, force: true });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
