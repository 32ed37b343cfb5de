import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Vocab } from '../../lib/seq/vocab';
import { buildWindows } from '../../lib/seq/windows';
import { buildModel } from '../../lib/nn/model';
import { predictScores } from '../../lib/nn/predict';
import { train } from '../../lib/nn/train';
import { loadModel, saveModel } from '../../lib/nn/persist';
import { cacheKey, kernelDigest, trainCached } from '../../lib/nn/cache';
import { resolveConfig } from '../../lib/nn/model';
import { resolveTrainSettings } from '../../lib/nn/train';

const vocab = Vocab.build([['read', 'write', 'futex', 'epoll_wait', 'read']]);
const stream = (pattern: string[], times: number) => vocab.encode(Array.from({ length: pattern.length * times }, (_, i) => pattern[i % pattern.length]));
const data = buildWindows([stream(['read', 'write', 'futex', 'read', 'epoll_wait'], 12)], 3);
// Every window of length 3 over the vocabulary's 5 ids, to compare predictions everywhere.
const probe = { n: 3, windows: Int32Array.from({ length: 125 * 3 }, (_, k) => Math.floor(Math.floor(k / 3) / 5 ** (k % 3)) % 5), next: Int32Array.from({ length: 125 }, (_, r) => (r * 3) % 5) };

async function tmpDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'deepstitch-nn-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

test('save then load: the same config, vocabulary, metadata and exactly the same predictions', async (t) => {
  const dir = path.join(await tmpDir(t), 'model');
  const model = await buildModel({ vocabSize: vocab.size, n: 3, embedding: 4, hidden: 6, layers: 2, seed: 4 });
  await train(model, data, { maxEpochs: 3, valFraction: 0 });
  await saveModel(dir, model, vocab, { note: 'idle model', epochs: 3 });
  assert.deepEqual((await fs.readdir(dir)).sort(), ['deepstitch.json', 'model.json', 'vocab.json', 'weights.bin']);
  const loaded = await loadModel(dir);
  assert.deepEqual(loaded.model.config, model.config);
  assert.deepEqual(loaded.vocab.tokens, vocab.tokens);
  assert.deepEqual(loaded.meta, { note: 'idle model', epochs: 3 });
  assert.deepEqual(await predictScores(loaded.model, probe), await predictScores(model, probe));
});

test('saving refuses a vocabulary of another size; loading names the file that is missing or broken', async (t) => {
  const dir = await tmpDir(t);
  const model = await buildModel({ vocabSize: vocab.size, n: 3, embedding: 2, hidden: 2 });
  await assert.rejects(saveModel(path.join(dir, 'x'), model, Vocab.build([['read']])), /vocabulary has 2 tokens, the model 5/);
  await assert.rejects(loadModel(path.join(dir, 'none')), /none\/model\.json: cannot read it \(ENOENT\)/);
  await saveModel(path.join(dir, 'm'), model, vocab);
  await fs.writeFile(path.join(dir, 'm', 'vocab.json'), '{"tokens": ["<unk>", "read"]}');
  await assert.rejects(loadModel(path.join(dir, 'm')), /vocab\.json: expected 5 tokens \(the model's vocabSize\), found 2/);
  await fs.writeFile(path.join(dir, 'm', 'deepstitch.json'), '{"config": ');
  await assert.rejects(loadModel(path.join(dir, 'm')), /deepstitch\.json: expected JSON/);
});

test('the cache misses, then hits with the same data and settings, and misses when either changes', async (t) => {
  const dir = await tmpDir(t);
  const opts = { dir, model: { embedding: 3, hidden: 4, seed: 2 }, train: { maxEpochs: 2, valFraction: 0 } };
  const first = await trainCached(data, vocab, opts);
  assert.equal(first.hit, false);
  assert.equal(first.path, path.join(dir, first.key));
  assert.equal(first.history.epochs.length, 2);

  let epochsSeen = 0;
  const second = await trainCached(data, vocab, { ...opts, train: { ...opts.train, onEpoch: () => epochsSeen++ } });
  assert.equal(second.hit, true, 'progress callbacks are not part of the key');
  assert.equal(epochsSeen, 0, 'a hit does not train');
  assert.equal(second.key, first.key);
  assert.deepEqual(second.history, first.history);
  assert.deepEqual(await predictScores(second.model, probe), await predictScores(first.model, probe));

  const otherData = buildWindows([stream(['read', 'write', 'futex'], 20)], 3);
  const changes = [
    await trainCached(otherData, vocab, opts),
    await trainCached(data, vocab, { ...opts, model: { ...opts.model, hidden: 5 } }),
    await trainCached(data, vocab, { ...opts, model: { ...opts.model, seed: 3 } }),
    await trainCached(data, vocab, { ...opts, train: { ...opts.train, learningRate: 0.01 } }),
    await trainCached({ ...data, counts: data.counts.map((c, i) => (i === 0 ? c + 1 : c)) }, vocab, opts),
  ];
  for (const c of changes) assert.equal(c.hit, false);
  assert.equal(new Set([first.key, ...changes.map((c) => c.key)]).size, 6);

  const again = await trainCached(data, vocab, { ...opts, retrain: true });
  assert.equal(again.hit, false);
  assert.equal(again.key, first.key);
  assert.equal((await fs.readdir(dir)).length, 6, 'retraining replaces the entry; no temporary folder is left');
});

test('the cache key holds the kernel: the digest of lstm-kernel.wasm, and another kernel another key', () => {
  const wasm = readFileSync(path.join(__dirname, '..', '..', 'lib', 'nn', 'lstm-kernel.wasm'));
  assert.equal(kernelDigest(), createHash('sha256').update(wasm).digest('hex'));
  const config = resolveConfig({ n: 3, vocabSize: vocab.size });
  const settings = resolveTrainSettings({});
  const key = cacheKey(data, vocab, config, settings);
  assert.equal(cacheKey(data, vocab, config, settings, kernelDigest()), key);
  assert.notEqual(cacheKey(data, vocab, config, settings, createHash('sha256').update('another kernel').digest('hex')), key);
});

test('two writers training the same model at once both succeed and leave one complete entry', async (t) => {
  const dir = await tmpDir(t);
  const opts = { dir, model: { embedding: 3, hidden: 4, seed: 5 }, train: { maxEpochs: 2, valFraction: 0 } };
  const [a, b] = await Promise.all([trainCached(data, vocab, opts), trainCached(data, vocab, { ...opts, retrain: true })]);
  assert.equal(a.key, b.key);
  assert.deepEqual(await fs.readdir(dir), [a.key], 'no temporary or replaced folder is left');
  const cached = await trainCached(data, vocab, opts);
  assert.equal(cached.hit, true);
  // Same seed, same model: whichever writer won, the entry scores as both.
  assert.deepEqual(await predictScores(cached.model, probe), await predictScores(a.model, probe));
});
