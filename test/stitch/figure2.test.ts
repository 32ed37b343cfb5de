/**
 * The paper's Figure 2 / Table 1 example end to end: the candidate sequences must be the paper's,
 * and the combination chosen must be A1-B2-C1, with an exact n-gram trace model and with a tiny LSTM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  analyseIsolated, combinationCount, sequenceTable, combinationTable, evaluate, rankCombinations, stitchCapture, trainIdleModels, trainTraceModels, STITCHED,
} from '../../lib/stitch/index';
import type { PipelineOptions } from '../../lib/stitch/index';
import { spansTable } from './tables';
import { S, T0, TABLE_1, idleSyscalls, isolatedCapture, liveCapture, paperNotation } from './figure2';

// 1 µs of tolerance: B1's x95 and C2's x75 lie 5 and 15 µs outside their spans and must stay out.
const OPTS: PipelineOptions = { toleranceNs: 1000 };
const NGRAM = { scorer: 'ngram' as const, n: 3 };

async function ngramModels() {
  const idle = await trainIdleModels(idleSyscalls(), NGRAM);
  const iso = await analyseIsolated(isolatedCapture(5), idle.models, OPTS);
  const trace = await trainTraceModels(iso.sequences, NGRAM);
  return { idle, iso, trace };
}

test('the isolated capture: one own thread per span, and S as the global sequence of every instance', async () => {
  const { idle, iso } = await ngramModels();
  assert.deepEqual([...idle.models.keys()].sort(), ['A', 'B', 'C']);
  assert.deepEqual(idle.skipped, []);
  // Only A1, B2, C1 leave their idle routine during the traces.
  const active = iso.active.objects() as { span_id: string; tid: number; basis: string }[];
  assert.deepEqual([...new Set(active.filter((r) => r.basis === 'signal').map((r) => r.tid))].sort(), [101, 202, 301]);
  const profile = iso.profiles.byType.get('GET /t')!;
  assert.equal(profile.traces, 5);
  assert.equal(profile.conforming, 5);
  assert.deepEqual([...profile.spans.values()].map((s) => [s.key, s.role]), [
    ['A GET /t#1', { kind: 'own', threads: 1, basis: 'signal' }],
    ['B GET /b#1', { kind: 'own', threads: 1, basis: 'signal' }],
    ['C GET /c#1', { kind: 'own', threads: 1, basis: 'signal' }],
  ]);
  const seqs = iso.sequences.get('GET /t')!;
  assert.equal(seqs.length, 5);
  for (const s of seqs) assert.equal(paperNotation(s.tokens.join(' ')), S.join('-'));
  assert.deepEqual(sequenceTable(iso.sequences).objects()[0], { trace_type: 'GET /t', trace_id: 'iso0', length: 8, sequence: 'A:w B:r B:w C:r C:w B:r B:w A:r' });
});

test("Table 1: the live trace has 3 x 3 x 3 candidate combinations and the paper's rows read as printed", async () => {
  const { idle, iso, trace } = await ngramModels();
  const live = await stitchCapture(liveCapture(), idle.models, iso.profiles, trace.models, OPTS);
  const [plan] = live.plans;
  assert.deepEqual(plan.slots.map((s) => s.candidates.map((c) => c.thread.tid)), [[101, 102, 103], [201, 202, 203], [301, 302, 303]]);
  assert.equal(combinationCount(plan), 27);
  const table = combinationTable(plan).objects() as { combination: string; sequence: string }[];
  assert.equal(table.length, 27);
  const bySeq = new Map(table.map((r) => [r.combination, paperNotation(r.sequence)]));
  for (const [combination, sequence] of TABLE_1) assert.equal(bySeq.get(combination), sequence, combination);
});

test('the cover rule: threads whose range covers under half of a span its own thread covers are helpers, ranked after', async () => {
  const { idle, iso, trace } = await ngramModels();
  // In the isolated instances A1, B2 and C1 cover 90%, 85% and 50% of their spans: each span is covered.
  assert.deepEqual([...iso.profiles.byType.get('GET /t')!.spans.values()].map((s) => s.covered), [true, true, true]);
  const live = await stitchCapture(liveCapture(), idle.models, iso.profiles, trace.models, OPTS);
  // Ranges over A [0, 100]: A1 5..95 (0.9), A2 40..70 (0.3), A3 3..22 (0.19); B [10, 90]: B1 15..54 (0.49),
  // B2 12..80 (0.85), B3 11..45 (0.43); C [30, 60]: C1 35..50 (0.5), C2 40..58 (0.6), C3 one call (0).
  assert.deepEqual(live.plans[0].slots.map((s) => s.helper), [[false, true, true], [true, false, true], [false, false, true]]);
  // A1-B2-C1 and A1-B2-C2 have no helper: they rank first whatever the likelihoods.
  const ranked = (await rankCombinations(live.plans[0], trace.models.get('GET /t')!)).objects() as { combination: string }[];
  assert.deepEqual(ranked.slice(0, 2).map((r) => r.combination), ['A1-B2-C1', 'A1-B2-C2']);
  // With coverFraction 0 no thread is a helper.
  const plain = await stitchCapture(liveCapture(), idle.models, iso.profiles, trace.models, { ...OPTS, coverFraction: 0 });
  assert.deepEqual(plain.plans[0].slots.map((s) => s.helper), [undefined, undefined, undefined]);
});

test('the best combination is A1-B2-C1 under an exact n-gram trace model, found exhaustively and by a narrow beam', async () => {
  const { idle, iso, trace } = await ngramModels();
  const figure = liveCapture();
  const live = await stitchCapture(figure, idle.models, iso.profiles, trace.models, OPTS);
  const rows = live.stitched.objects() as Record<string, unknown>[];
  assert.deepEqual(rows.map((r) => [r.span_id, r.status, r.host, r.pid, r.tid]), [
    ['T-a', STITCHED, 'h', 100, 101],
    ['T-b', STITCHED, 'h', 200, 202],
    ['T-c', STITCHED, 'h', 300, 301],
  ]);
  // S is predicted without error by the n-gram model of S (n = 3: each context occurs once in S).
  for (const r of rows) assert.deepEqual([r.likelihood, r.candidates, r.scored, r.search], [1, 27, 27, 'exhaustive']);
  assert.deepEqual(rows.map((r) => r.syscalls), ['write read', 'read write read write', 'read write'].map((s) => s.replace(/read/g, 'r').replace(/write/g, 'w')));
  const ranked = (await rankCombinations(live.plans[0], trace.models.get('GET /t')!)).objects() as { combination: string; likelihood: number }[];
  assert.equal(ranked[0].combination, 'A1-B2-C1');
  assert.ok(ranked[1].likelihood < 1, `runner-up ${ranked[1].combination} ${ranked[1].likelihood}`);
  const ev = evaluate(live.stitched, figure.truth);
  assert.deepEqual([ev.overall.spans, ev.overall.process_ok, ev.overall.thread_ok, ev.overall.trace_acc_thread], [3, 3, 3, 1]);

  const beam = await stitchCapture(figure, idle.models, iso.profiles, trace.models, { ...OPTS, search: 'beam', beamWidth: 2 });
  const b = beam.stitched.objects() as Record<string, unknown>[];
  assert.deepEqual(b.map((r) => r.tid), [101, 202, 301]);
  // Slot A: 3 prefixes; B: 2 kept x 3; C: 2 kept x 3.
  assert.deepEqual([b[0].search, b[0].scored, b[0].likelihood], ['beam', 15, 1]);
});

test("stitching never reads the spans' host, instance or pid: stripping them changes nothing", async () => {
  const { idle, iso, trace } = await ngramModels();
  const figure = liveCapture();
  const strip = (t: typeof figure.spans) => t.derive({ host: () => null, instance: () => null, pid: () => null });
  assert.ok((figure.spans.objects() as { pid: number | null }[]).every((r) => r.pid !== null), 'the fixture has the tags to strip');
  const iso2 = await analyseIsolated({ ...isolatedCapture(5), spans: strip(isolatedCapture(5).spans) }, idle.models, OPTS);
  const withTags = await stitchCapture(figure, idle.models, iso.profiles, trace.models, OPTS);
  const without = await stitchCapture({ ...figure, spans: strip(figure.spans) }, idle.models, iso2.profiles, trace.models, OPTS);
  assert.deepEqual(without.stitched.objects(), withTags.stitched.objects());
  assert.deepEqual(iso2.profiles.table.objects(), iso.profiles.table.objects());
});

test('the same with tiny LSTMs as idle and trace models: A1-B2-C1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stitch-fig2-'));
  try {
    const lstm = {
      n: 3,
      model: { embedding: 4, hidden: 16, seed: 3 },
      train: { maxEpochs: 150, learningRate: 0.05, valFraction: 0, patience: 10, batchSize: 64 },
      cacheDir: dir,
    };
    const idle = await trainIdleModels(idleSyscalls(), lstm);
    const iso = await analyseIsolated(isolatedCapture(5), idle.models, OPTS);
    assert.equal(iso.profiles.byType.get('GET /t')!.conforming, 5, 'the LSTM idle model finds the same serving threads');
    const trace = await trainTraceModels(iso.sequences, lstm);
    const model = trace.models.get('GET /t')!;
    assert.equal(model.cached, false);
    const live = await stitchCapture(liveCapture(), idle.models, iso.profiles, trace.models, OPTS);
    assert.deepEqual((live.stitched.objects() as { tid: number }[]).map((r) => r.tid), [101, 202, 301]);
    const ranked = (await rankCombinations(live.plans[0], model)).objects() as { combination: string; likelihood: number }[];
    assert.equal(ranked[0].combination, 'A1-B2-C1');
    assert.ok(ranked[0].likelihood > 0.9 && ranked[1].likelihood < ranked[0].likelihood - 0.1, JSON.stringify(ranked.slice(0, 2)));
    // The second fit of the same data comes from the model cache.
    const again = await trainTraceModels(iso.sequences, lstm);
    assert.equal(again.models.get('GET /t')!.cached, true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a span with no active thread, a span missing from the profile and a trace type without one are reported, not stitched', async () => {
  const { idle, iso, trace } = await ngramModels();
  const figure = liveCapture();
  // C's threads stay idle: no signal syscall in span C. An extra span D is not in the profile; trace U has no profile.
  const calls = figure.syscalls.filter((d: { service: string; syscall: string }) => !(d.service === 'C' && d.syscall !== 'p'));
  const extra = spansTable([
    { trace: 'T', span: 'T-d', parent: 'T-a', type: 'GET /t', op: 'GET /d', service: 'B', startUs: T0 + 60, endUs: T0 + 70 },
    { trace: 'U', span: 'U-a', type: 'GET /u', op: 'GET /u', service: 'A', startUs: T0, endUs: T0 + 100 },
  ]);
  const live = await stitchCapture({ spans: figure.spans.concat(extra), syscalls: calls }, idle.models, iso.profiles, trace.models, OPTS);
  const status = Object.fromEntries((live.stitched.objects() as { span_id: string; status: string }[]).map((r) => [r.span_id, r.status]));
  assert.deepEqual(status, {
    'T-a': STITCHED,
    'T-b': STITCHED,
    'T-c': 'no active thread within the span',
    'T-d': 'span not in the profile of GET /t',
    'U-a': 'no profile for this trace type',
  });
  const ev = evaluate(live.stitched, figure.truth);
  // Truth covers T's three spans (D and U have none); the unstitched C counts as wrong.
  assert.deepEqual([ev.overall.spans, ev.overall.stitched, ev.overall.no_truth], [3, 2, 2]);
  const c = (ev.spans.objects() as { span_id: string; process_ok: boolean }[]).find((r) => r.span_id === 'T-c')!;
  assert.equal(c.process_ok, false);
});

test('the tables a notebook shows have the documented columns', async () => {
  const { iso, idle, trace } = await ngramModels();
  const live = await stitchCapture(liveCapture(), idle.models, iso.profiles, trace.models, OPTS);
  assert.deepEqual(iso.active.columnNames(), ['trace_id', 'span_id', 'service', 'thread', 'host', 'pid', 'tid', 'signals', 'calls', 'basis']);
  assert.deepEqual(iso.ranges.columnNames(), [...iso.active.columnNames(), 'first_ns', 'last_ns', 'within']);
  assert.deepEqual(iso.profiles.table.columnNames(), ['trace_type', 'span_key', 'service', 'operation', 'role', 'threads', 'into', 'support', 'present', 'frequency', 'covered', 'pooled']);
  assert.deepEqual(live.stitched.columnNames(), [
    'trace_id', 'span_id', 'trace_type', 'service', 'operation', 'status', 'thread', 'threads', 'host', 'pid', 'tid',
    'likelihood', 'candidates', 'scored', 'search', 'model_windows', 'n_syscalls', 'syscalls',
  ]);
});
