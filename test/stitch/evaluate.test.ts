/** Evaluation arithmetic, worked out by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as aq from 'arquero';
import { evaluate, STITCHED, table2 } from '../../lib/stitch/index';
import { truthTable } from './tables';

test('process level = (host, pid) right, thread level = (host, pid, tid) right, per trace type and per trace', () => {
  const row = (trace: string, span: string, type: string, service: string, status: string, host: string | null, pid: number | null, tid: number | null) =>
    ({ trace_id: trace, span_id: span, trace_type: type, service, status, host, pid, tid });
  const rows = [
    row('t1', 's1', 'X', 'a', STITCHED, 'h1', 10, 11), // right thread
    row('t1', 's2', 'X', 'b', STITCHED, 'h1', 20, 21), // right process, wrong thread (truth 22)
    row('t2', 's3', 'X', 'a', STITCHED, 'h2', 10, 11), // wrong host: wrong at both levels
    row('t2', 's4', 'X', 'b', 'no active thread within the span', null, null, null), // unstitched: wrong
    row('t3', 's5', 'Y', 'c', STITCHED, 'h3', 30, 31), // right
    row('t3', 's6', 'Y', 'c', STITCHED, 'h3', 30, 32), // no truth row: not evaluated
  ];
  const stitched = aq.table(Object.fromEntries(Object.keys(rows[0]).map((c) => [c, rows.map((r) => r[c as keyof typeof r])])));
  const truth = truthTable([
    ['t1', 's1', 'h1', 10, 11], ['t1', 's2', 'h1', 20, 22], ['t2', 's3', 'h1', 10, 11], ['t2', 's4', 'h1', 20, 21], ['t3', 's5', 'h3', 30, 31],
    ['t9', 's9', 'h1', 10, 11], // a span of type X the stitching never saw: wrong
  ]);
  const spans = aq.table({ trace_id: ['t9'], span_id: ['s9'], trace_type: ['X'], service: ['a'] });
  const ev = evaluate(stitched, truth, spans);
  assert.deepEqual((ev.spans.objects() as Record<string, unknown>[]).map((r) => [r.span_id, r.status, r.process_ok, r.thread_ok]), [
    ['s1', STITCHED, true, true], ['s2', STITCHED, true, false], ['s3', STITCHED, false, false], ['s4', 'no active thread within the span', false, false],
    ['s5', STITCHED, true, true], ['s9', 'missing', false, false],
  ]);
  const [x, y] = ev.byType.objects() as Record<string, unknown>[];
  // X: 5 truth spans (s9 missing), 3 stitched, process right for s1 and s2, thread for s1; of traces t1, t2, t9 only t1 is right, at process level.
  assert.deepEqual(x, {
    trace_type: 'X', traces: 3, spans: 5, stitched: 3, missing: 1, coverage: 0.6, no_truth: 0, process_ok: 2, thread_ok: 1, acc_process: 0.4, acc_thread: 0.2,
    traces_process_ok: 1, traces_thread_ok: 0, trace_acc_process: 1 / 3, trace_acc_thread: 0, services: 2,
  });
  assert.deepEqual(y, {
    trace_type: 'Y', traces: 1, spans: 1, stitched: 1, missing: 0, coverage: 1, no_truth: 1, process_ok: 1, thread_ok: 1, acc_process: 1, acc_thread: 1,
    traces_process_ok: 1, traces_thread_ok: 1, trace_acc_process: 1, trace_acc_thread: 1, services: 1,
  });
  // Overall: 6 spans, 3 right processes (s1, s2, s5), 2 right threads (s1, s5); traces t1 and t3 right at process level, t3 at thread level.
  // Services: t1 and t2 have 2 each, t3 and t9 1 each: a tie, the smaller.
  assert.deepEqual(ev.overall, {
    traces: 4, spans: 6, stitched: 4, missing: 1, coverage: 4 / 6, no_truth: 1, process_ok: 3, thread_ok: 2, acc_process: 0.5, acc_thread: 2 / 6,
    traces_process_ok: 2, traces_thread_ok: 1, trace_acc_process: 0.5, trace_acc_thread: 0.25, services: 1,
  });
  // Table 2 carries the coverage beside the accuracies.
  assert.deepEqual(table2(ev).map((r) => [r.trace_type, r.coverage]), [['X', 0.6], ['Y', 1]]);
});

test('without the spans table, a missing span takes its type from its trace, else none', () => {
  const stitched = aq.table({ trace_id: ['t1'], span_id: ['s1'], trace_type: ['X'], service: ['a'], status: [STITCHED], host: ['h'], pid: [1], tid: [2] });
  const ev = evaluate(stitched, truthTable([['t1', 's1', 'h', 1, 2], ['t1', 's2', 'h', 1, 3], ['t2', 's3', 'h', 1, 4]]));
  // t1: s1 right, s2 missing; t2 unknown to the stitching: its own row with no type.
  assert.deepEqual((ev.byType.objects() as Record<string, unknown>[]).map((r) => [r.trace_type, r.spans, r.missing, r.acc_thread]), [['', 1, 1, 0], ['X', 2, 1, 0.5]]);
});

test('a missing span takes its trace type from a typed stitched row of its trace, even past an untyped one', () => {
  // t1's rows: s1 typed X, s2 untyped (''); s3 is missing. Whichever row comes last, s3 is of type X.
  const rows = { trace_id: ['t1', 't1'], span_id: ['s1', 's2'], service: ['a', 'a'], status: [STITCHED, STITCHED], host: ['h', 'h'], pid: [1, 1], tid: [2, 2] };
  const truth = truthTable([['t1', 's1', 'h', 1, 2], ['t1', 's2', 'h', 1, 2], ['t1', 's3', 'h', 1, 3]]);
  for (const types of [['X', ''], ['', 'X']]) {
    const ev = evaluate(aq.table({ ...rows, trace_type: types }), truth);
    const missing = (ev.spans.objects() as Record<string, unknown>[]).find((r) => r.span_id === 's3')!;
    assert.equal(missing.trace_type, 'X', `types ${types}`);
  }
});

test('duplicate truth rows are counted once and reported; copies that disagree are an error naming the span', () => {
  const stitched = aq.table({ trace_id: ['t1'], span_id: ['s1'], trace_type: ['X'], service: ['a'], status: [STITCHED], host: ['h'], pid: [1], tid: [2] });
  // s1 (stitched, right) twice, s2 (missing) three times: 2 spans, 1 right, 1 missing, 3 duplicate rows.
  const dup = truthTable([['t1', 's1', 'h', 1, 2], ['t1', 's2', 'h', 1, 3], ['t1', 's1', 'h', 1, 2], ['t1', 's2', 'h', 1, 3], ['t1', 's2', 'h', 1, 3]]);
  const ev = evaluate(stitched, dup);
  assert.equal(ev.duplicate_truth, 3);
  assert.deepEqual([ev.overall.spans, ev.overall.missing, ev.overall.thread_ok, ev.overall.acc_thread], [2, 1, 1, 0.5]);
  assert.deepEqual((ev.spans.objects() as Record<string, unknown>[]).map((r) => [r.span_id, r.status]), [['s1', STITCHED], ['s2', 'missing']]);
  assert.equal(evaluate(stitched, truthTable([['t1', 's1', 'h', 1, 2]])).duplicate_truth, 0);
  assert.throws(() => evaluate(stitched, truthTable([['t1', 's2', 'h', 1, 3], ['t1', 's2', 'h', 1, 4]])), /span t1\/s2 twice with different threads: h\/1\/3 and h\/1\/4/);
});

test('a trace type with no evaluated span has NaN accuracies, not 0 or 1', () => {
  const stitched = aq.table({ trace_id: ['t'], span_id: ['s'], trace_type: ['Z'], service: ['a'], status: [STITCHED], host: ['h'], pid: [1], tid: [2] });
  const ev = evaluate(stitched, truthTable([]));
  const [z] = ev.byType.objects() as Record<string, number>[];
  assert.deepEqual([z.spans, z.no_truth], [0, 1]);
  assert.ok(Number.isNaN(z.acc_process) && Number.isNaN(z.trace_acc_thread));
});

test("services: a typical trace's count (the mode over traces, the smaller on a tie), not the union over traces", () => {
  const rows: { trace: string; type: string; service: string }[] = [
    // H: three one-service traces, each on another service (health probes): 1, where the union is 3.
    { trace: 'h1', type: 'H', service: 'catalogue' }, { trace: 'h2', type: 'H', service: 'user' }, { trace: 'h3', type: 'H', service: 'payment' },
    // O: traces with 3, 3 and 2 distinct services (several spans of one service count once): 3.
    { trace: 'o1', type: 'O', service: 'a' }, { trace: 'o1', type: 'O', service: 'b' }, { trace: 'o1', type: 'O', service: 'b' }, { trace: 'o1', type: 'O', service: 'c' },
    { trace: 'o2', type: 'O', service: 'a' }, { trace: 'o2', type: 'O', service: 'b' }, { trace: 'o2', type: 'O', service: 'd' },
    { trace: 'o3', type: 'O', service: 'a' }, { trace: 'o3', type: 'O', service: 'b' },
    // T: one trace of 1 service and one of 2: a tie, the smaller.
    { trace: 't1', type: 'T', service: 'a' }, { trace: 't2', type: 'T', service: 'a' }, { trace: 't2', type: 'T', service: 'b' },
  ];
  const stitched = aq.table({
    trace_id: rows.map((r) => r.trace), span_id: rows.map((_, i) => `s${i}`), trace_type: rows.map((r) => r.type), service: rows.map((r) => r.service),
    status: rows.map(() => STITCHED), host: rows.map(() => 'h'), pid: rows.map(() => 1), tid: rows.map(() => 1),
  });
  const ev = evaluate(stitched, truthTable(rows.map((r, i) => [r.trace, `s${i}`, 'h', 1, 1])));
  assert.deepEqual((ev.byType.objects() as Record<string, unknown>[]).map((r) => [r.trace_type, r.services]), [['H', 1], ['O', 3], ['T', 1]]);
  assert.deepEqual(table2(ev).map((r) => [r.trace_type, r.services]), [['H', 1], ['O', 3], ['T', 1]]);
});
