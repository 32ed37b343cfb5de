/**
 * Pooled spans (profile.ts ProfileSpan.pooled, candidates.ts): a span served by more than one thread
 * in most isolated instances, as a goroutine run by turns on Go's Ms, takes every active thread in
 * the live capture and shares them with its overlapping siblings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as aq from 'arquero';
import { STITCHED, analyseIsolated, buildProfiles, ngramScorer, padStart, stitchCapture, trainTraceModels } from '../../lib/stitch/index';
import type { SequenceScorer } from '../../lib/stitch/index';
import { repeat, spansTable, syscallsTable } from './tables';

const S = (tid: number) => ({ host: 'h', pid: 10, tid, service: 'S' });
const idleOf = (service: string) => new Map<string, { scorer: SequenceScorer }>([[service, { scorer: ngramScorer([padStart(Array(30).fill('p'), 3)], 3) }]]);

test('pooled: more than half of the instances where the span is own had several own threads', () => {
  const rows: Record<string, unknown>[] = [];
  const own = (trace: string, key: string, tids: number[]) => tids.forEach((tid) => rows.push({
    trace_id: trace, span_id: `${trace}${key}`, trace_type: 'T', service: 'S', operation: key, span_key: `S ${key}#1`, role: 'own', basis: 'signal', thread: `h/10/${tid}`, into: '', cover: 1,
  }));
  // x: 2, 3, 2 threads and 1 thread: 3 of 4 own instances -> pooled (mode: own 2).
  // y: 2 threads in 2 of 4 instances: half, not more -> not pooled.
  // z: one thread in each of the four.
  [[1, 2], [1, 2, 3], [4, 5], [1]].forEach((tids, i) => own(`t${i}`, 'x', tids));
  [[6, 7], [6], [6, 7], [6]].forEach((tids, i) => own(`t${i}`, 'y', tids));
  [[8], [8], [8], [8]].forEach((tids, i) => own(`t${i}`, 'z', tids));
  const served = aq.table(Object.fromEntries(Object.keys(rows[0]).map((c) => [c, rows.map((r) => r[c])])));
  const profiles = buildProfiles(served);
  const spans = [...profiles.byType.get('T')!.spans.values()];
  assert.deepEqual(spans.map((s) => [s.key, s.role.kind === 'own' ? s.role.threads : 0, s.pooled]), [['S x#1', 2, true], ['S y#1', 1, false], ['S z#1', 1, false]]);
  assert.deepEqual(profiles.table.array('pooled'), [true, false, false]);
});

test('a pooled span takes every active thread, false active ones too, shares them with its sibling, and is served by the one with most calls in it', async () => {
  const opts = { toleranceNs: 500 };
  // A [100, 200] and B [150, 250] µs: parallel siblings of S under root r (service F, no threads).
  const spans = (id: string, t0: number) => spansTable([
    { trace: id, span: `${id}r`, type: 'GET /', op: 'GET /', service: 'F', startUs: t0, endUs: t0 + 500 },
    { trace: id, span: `${id}A`, parent: `${id}r`, type: 'GET /', op: 'a', service: 'S', startUs: t0 + 100, endUs: t0 + 200 },
    { trace: id, span: `${id}B`, parent: `${id}r`, type: 'GET /', op: 'b', service: 'S', startUs: t0 + 150, endUs: t0 + 250 },
  ]);
  const serve = (tid: number, t0: number, us: number[]) => [...repeat(S(tid), 'p', t0, 10, 10), ...us.map((u) => ({ ...S(tid), us: t0 + u, syscall: 'q' }))];
  // Isolated: two threads work on each span over most of it (a goroutine moving between two Ms).
  const iso = await analyseIsolated({
    spans: spans('i', 0),
    syscalls: syscallsTable([...serve(1, 0, [105, 195]), ...serve(2, 0, [110, 190]), ...serve(3, 0, [155, 245]), ...serve(4, 0, [160, 240])]),
  }, idleOf('S'), opts);
  const profile = iso.profiles.byType.get('GET /')!;
  assert.deepEqual([...profile.spans.values()].map((s) => [s.key, s.role.kind === 'own' ? s.role.threads : 0, s.pooled]), [['F GET /#1', 0, false], ['S a#1', 2, true], ['S b#1', 2, true]]);
  const trace = await trainTraceModels(iso.sequences, { scorer: 'ngram', n: 2 });
  // Live: threads 11 and 12 both run A's and B's work by turns; their ranges span both, so each is
  // false active in both. In A's window 11 makes 4 calls and 12 two; in B's, 11 one and 12 four.
  const live = { spans: spans('L', 1000), syscalls: syscallsTable([...serve(11, 1000, [105, 120, 130, 140, 245]), ...serve(12, 1000, [110, 160, 210, 220, 240])]) };
  const out = await stitchCapture(live, idleOf('S'), iso.profiles, trace.models, opts);
  const ranges = out.ranges.objects() as { span_id: string; tid: number; within: boolean }[];
  assert.ok(ranges.every((r) => !r.within), 'both threads are false active in both spans');
  assert.deepEqual(out.plans[0].slots.map((s) => [s.span.spanId, s.candidates.map((c) => c.thread.tid), s.threads, s.pooled]), [['LA', [11, 12], 2, true], ['LB', [11, 12], 2, true]]);
  const rows = out.stitched.objects() as { span_id: string; status: string; tid: number | null; threads: string }[];
  assert.deepEqual(rows.filter((r) => r.span_id !== 'Lr').map((r) => [r.span_id, r.status, r.tid, r.threads]), [
    ['LA', STITCHED, 11, 'h/10/11 h/10/12'], ['LB', STITCHED, 12, 'h/10/12 h/10/11'],
  ]);
});
