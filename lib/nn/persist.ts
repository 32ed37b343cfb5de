/**
 * Saving a model to a folder and loading it back. TensorFlow.js only has a `file://` handler in the
 * native bindings; on wasm and cpu the kit writes the standard layers-model files itself (model.json
 * with the topology and weights manifest, weights.bin), so the folder also loads with tfjs-node's
 * `tf.loadLayersModel('file://…/model.json')`. Beside them: vocab.json and deepstitch.json (the
 * model config and free-form metadata such as the training history).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Vocab } from '../seq/vocab';
import { initBackend } from './backend';
import { resolveConfig } from './model';
import type { ModelConfig, NextTokenModel } from './model';

/** A model loaded with {@link loadModel}. */
export interface SavedModel {
  model: NextTokenModel;
  vocab: Vocab;
  /** What was passed as `meta` to {@link saveModel}. */
  meta: unknown;
}

const WEIGHTS = 'weights.bin';

/** Writes the model, its vocabulary and JSON-serialisable metadata to a folder (created if needed). */
export async function saveModel(dir: string, model: NextTokenModel, vocab: Vocab, meta: unknown = null): Promise<void> {
  if (vocab.size !== model.config.vocabSize) {
    throw new Error(`saveModel: the vocabulary has ${vocab.size} tokens, the model ${model.config.vocabSize}`);
  }
  await fs.mkdir(dir, { recursive: true });
  await model.net.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      const modelJSON = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS], weights: artifacts.weightSpecs }],
      };
      await fs.writeFile(path.join(dir, WEIGHTS), weights);
      await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(modelJSON));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  await fs.writeFile(path.join(dir, 'vocab.json'), JSON.stringify(vocab.toJSON()));
  await fs.writeFile(path.join(dir, 'deepstitch.json'), JSON.stringify({ config: model.config, meta }, null, 1));
}

/** Loads a folder written by {@link saveModel}: the same weights, so the same predictions. */
export async function loadModel(dir: string): Promise<SavedModel> {
  await initBackend();
  const modelJSON = (await readJSON(dir, 'model.json')) as { modelTopology?: object; weightsManifest?: { weights: tf.io.WeightsManifestEntry[] }[] };
  if (!modelJSON.modelTopology || !Array.isArray(modelJSON.weightsManifest)) {
    throw new Error(`${path.join(dir, 'model.json')}: expected a layers model with "modelTopology" and "weightsManifest"`);
  }
  const weightSpecs = modelJSON.weightsManifest.flatMap((group) => group.weights);
  const weightData = await readFile(dir, WEIGHTS);
  const saved = (await readJSON(dir, 'deepstitch.json')) as { config?: ModelConfig; meta?: unknown };
  if (!saved.config) throw new Error(`${path.join(dir, 'deepstitch.json')}: expected a "config" field`);
  const config = resolveConfig(saved.config);
  let vocab: Vocab;
  try {
    vocab = Vocab.fromJSON(await readJSON(dir, 'vocab.json'));
  } catch (e) {
    throw new Error(`${path.join(dir, 'vocab.json')}: ${(e as Error).message}`);
  }
  if (vocab.size !== config.vocabSize) {
    throw new Error(`${path.join(dir, 'vocab.json')}: expected ${config.vocabSize} tokens (the model's vocabSize), found ${vocab.size}`);
  }
  const buffer = weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength);
  const net = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJSON.modelTopology, weightSpecs, weightData: buffer }));
  return { model: { config, net }, vocab, meta: saved.meta ?? null };
}

async function readFile(dir: string, name: string): Promise<Buffer> {
  const file = path.join(dir, name);
  try {
    return await fs.readFile(file);
  } catch (e) {
    throw new Error(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected a model folder written by saveModel`);
  }
}

async function readJSON(dir: string, name: string): Promise<unknown> {
  const text = (await readFile(dir, name)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path.join(dir, name)}: expected JSON, found a parse error (${(e as Error).message})`);
  }
}
