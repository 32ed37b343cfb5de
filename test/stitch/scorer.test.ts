/** Scorers, likelihoods and model fitting: n-gram counts by hand, the LSTM scorer against predictScores, padding, dedup counts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { predictScores } from '../../lib/nn/predict';
import { buildModel } from '../../lib/nn/model';
import { Vocab } from '../../lib/seq/vocab';
import { cachedScorer, fitScorer, idleTable, likelihoods, lstmScorer, meanScore, ngramScorer, padStart, trainIdleModels, trainTraceModels, START_TOKEN } from '../../lib/stitch/index';
import { repeat, syscallsTable } from './tables';

test('n-gram scorer: count(window, next) / count(window), 0 after an unseen window, NaN before the first window', async () => {
  // n = 1: after a comes b once and c once; after b comes a.
  const scorer = ngramScorer([['a', 'b', 'a', 'c']], 1);
  const [s1, s2] = await scorer.score([['a', 'b', 'a', 'a', 'z'], ['z', 'a']]);
  assert.deepEqual([...s1], [NaN, 0.5, 1, 0, 0]);
  assert.deepEqual([...s2], [NaN, 0]);
  assert.throws(() => ngramScorer([], 0), /positive integer/);
});

test('meanScore ignores positions without a score; likelihoods pad with n start tokens so every syscall counts', async () => {
  assert.equal(meanScore(Float32Array.from([NaN, 0.5, 1])), 0.75);
  assert.ok(Number.isNaN(meanScore(Float32Array.from([NaN, NaN]))));
  assert.deepEqual(padStart(['x'], 2), [START_TOKEN, START_TOKEN, 'x']);
  const model = { scorer: ngramScorer([padStart(['x', 'y'], 2)], 2) };
  const l = await likelihoods(model, [['x', 'y'], ['y'], ['x', 'x'], []]);
  // x y: both predicted (1, 1); y: a trace never starts with y (0); x x: x then an unseen x (1, 0); empty: nothing to score.
  assert.deepEqual([...l.subarray(0, 3)], [1, 0, 0.5]);
  assert.ok(Number.isNaN(l[3]));
});

test('LSTM scorer: the probability predictScores gives each window, unknown tokens as id 0, NaN for the first n', async () => {
  const vocab = Vocab.build([['a', 'b', 'c']]);
  const model = await buildModel({ vocabSize: vocab.size, n: 2, embedding: 3, hidden: 4, seed: 9 });
  const [scores] = await lstmScorer(model, vocab).score([['a', 'b', 'c', 'q']]);
  assert.ok(Number.isNaN(scores[0]) && Number.isNaN(scores[1]));
  const direct = await predictScores(model, {
    n: 2, windows: Int32Array.from([vocab.id('a'), vocab.id('b'), vocab.id('b'), vocab.id('c')]), next: Int32Array.from([vocab.id('c'), 0]),
  });
  assert.equal(vocab.id('q'), 0);
  assert.deepEqual([...scores.subarray(2)], [...direct]);
});

test('fitScorer: windows deduplicated with counts, the LSTM trained once and then taken from the cache', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stitch-scorer-'));
  try {
    const seqs = [['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c'], ['a', 'b', 'c', 'a', 'b', 'd']];
    const opts = { n: 2, model: { embedding: 3, hidden: 8 }, train: { maxEpochs: 5, valFraction: 0 }, cacheDir: dir };
    const fit = await fitScorer(seqs, opts);
    assert.deepEqual([fit.kind, fit.cached, fit.history?.epochs.length], ['lstm', false, 5]);
    // 7 + 4 raw windows; unique pairs: (a b)->c, (b c)->a, (c a)->b, (a b)->d.
    assert.deepEqual(fit.windows, { total: 11, unique: 4, ratio: 11 / 4 });
    const again = await fitScorer(seqs, opts);
    assert.deepEqual([again.cached, again.cacheKey], [true, fit.cacheKey]);
    const probe = [['a', 'b', 'c', 'd']];
    assert.deepEqual(await again.scorer.score(probe), await fit.scorer.score(probe));
    await assert.rejects(fitScorer([['a', 'b']], opts), /no window to learn from/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('idle models: one per service, on start-padded threads, windows deduplicated with counts; services without calls are reported', async () => {
  const t = (service: string, pid: number, tid: number) => ({ host: 'h', pid, tid, service });
  const calls = [
    // Service P: 3 threads of 20 polls each; padded with n = 3 start tokens every poll has a window: 60 windows,
    // 4 unique (<s><s><s>, <s><s>poll, <s>poll poll, poll poll poll; each followed by poll).
    ...[1, 2, 3].flatMap((tid) => repeat(t('P', 1, tid), 'poll', 0, 20, 1)),
    // Service Q: one thread of 3 calls, fewer than n: still 3 windows, so it gets a model.
    ...repeat(t('Q', 2, 1), 'read', 0, 3, 1),
  ];
  const idle = await trainIdleModels(syscallsTable(calls), { scorer: 'ngram', n: 3, services: ['P', 'Q', 'R'] });
  assert.deepEqual([...idle.models.keys()], ['P', 'Q']);
  assert.deepEqual(idle.skipped, [{ service: 'R', reason: 'no syscalls in the idle capture' }]);
  const [p, q] = idleTable(idle).objects() as Record<string, unknown>[];
  assert.deepEqual([p.service, p.threads, p.syscalls, p.windows, p.unique, p.ratio, p.kind], ['P', 3, 60, 60, 4, 15, 'ngram']);
  assert.deepEqual([q.service, q.syscalls, q.windows, q.unique], ['Q', 3, 3, 3]);
});

test('trace models: a trace type without a trace, or with empty sequences only, is reported, not trained', async () => {
  const models = await trainTraceModels(new Map([['T', []], ['U', [{ traceId: 'u1', tokens: [] }]], ['V', [{ traceId: 'v1', tokens: ['a:x'] }]]]), { scorer: 'ngram', n: 2 });
  assert.deepEqual([...models.models.keys()], ['V']);
  assert.deepEqual(models.skipped, [
    { traceType: 'T', reason: 'no trace in the isolated capture' },
    { traceType: 'U', reason: 'every global sequence is empty' },
  ]);
  // A one-syscall trace is still learnt and scored, thanks to the start padding.
  assert.deepEqual([...(await likelihoods(models.models.get('V')!, [['a:x']]))], [1]);
});

test('cachedScorer: the inner scores, each unique (window, next) sent to the model once over all calls', async () => {
  const inner = ngramScorer([['a', 'b', 'a', 'c', 'a', 'b']], 1);
  const sent: number[] = [];
  const counting = { n: 1, score: async (seqs: readonly (readonly string[])[]) => { sent.push(seqs.length); return inner.score(seqs); } };
  const cached = cachedScorer(counting);
  const seqs = [['a', 'b', 'a', 'c'], ['a', 'b', 'z']];
  // Windows: (a,b) (b,a) (a,c) | (a,b) (b,z): 4 unique of 5.
  const first = await cached.score(seqs);
  assert.deepEqual(first.map((s) => [...s]), (await inner.score(seqs)).map((s) => [...s]));
  assert.deepEqual([cached.misses, cached.hits, sent], [4, 1, [4]]);
  // A second call: (b,a) and (a,b) are cached, only (c,a) is sent.
  const second = await cached.score([['b', 'a', 'b'], ['c', 'a']]);
  assert.deepEqual(second.map((s) => [...s]), [[NaN, 1, Math.fround(2 / 3)], [NaN, 1]]);
  assert.deepEqual([cached.misses, cached.hits, sent], [5, 3, [4, 1]]);
});

test('the n-gram scorer of fitScorer equals ngramScorer on the same sequences (both count buildWindows pairs)', async () => {
  const seqs = [['x', 'y', 'x', 'y', 'z'], ['y', 'x', 'y', 'x']];
  const fit = await fitScorer(seqs, { n: 2, scorer: 'ngram' });
  const probe = [['x', 'y', 'x', 'y', 'x', 'z', 'q']];
  const [a] = await fit.scorer.score(probe);
  const [b] = await ngramScorer(seqs, 2).score(probe);
  // After x y: x twice, z once (2/3); after y x: y always; z after y x: 0; q (unknown) after x z: 0.
  assert.deepEqual([...a], [...b]);
  assert.deepEqual([...a], [NaN, NaN, Math.fround(2 / 3), 1, Math.fround(2 / 3), 0, 0]);
});
