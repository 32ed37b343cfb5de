/**
 * The steps one by one on cases built so the answer is known: threads, signal syscalls, active
 * threads, active ranges and false-active threads (the paper's §4.2 example), merged call chains,
 * and profile arithmetic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as aq from 'arquero';
import {
  activeRanges, activeThreads, analyseIsolated, buildProfiles, stitchCapture, trainTraceModels, STITCHED, detectSignals, ngramScorer, padStart, serveSpans, signalTable, threadSequences, threadTable,
} from '../../lib/stitch/index';
import type { SequenceScorer } from '../../lib/stitch/index';
import { repeat, spansTable, syscallsTable } from './tables';
import type { CallSpec } from './tables';

/** Idle model of every service: the "p" loop from a thread's start, n = 3 (any other call, or p after one, scores 0). */
const idleOf = (...services: string[]) => new Map<string, { scorer: SequenceScorer }>(services.map((s) => [s, { scorer: ngramScorer([padStart(Array(30).fill('p'), 3)], 3) }]));

const S = (tid: number) => ({ host: 'h', pid: 10, tid, service: 'S' });

test('threadSequences: one sequence per (host, pid, tid), time-sorted, "unknown" left out unless asked', () => {
  const calls: CallSpec[] = [
    { us: 3, host: 'h1', pid: 1, tid: 2, service: 'a', syscall: 'write' },
    { us: 1, host: 'h1', pid: 1, tid: 2, service: 'a', syscall: 'read' },
    { us: 2, host: 'h2', pid: 1, tid: 2, service: 'b', syscall: 'read' },
    { us: 2, host: 'h1', pid: 1, tid: 1, service: 'a', syscall: 'epoll_wait' },
    { us: 5, host: 'h1', pid: 9, tid: 9, service: 'unknown', syscall: 'read' },
  ];
  // A table that is not time-sorted (threadSequences must not rely on order).
  const table = syscallsTable(calls).orderby(aq.desc('ts_ns')).reify();
  const threads = threadSequences(table);
  assert.deepEqual(threads.map((t) => [t.key, t.service, t.syscalls.join(' '), [...t.ts]]), [
    ['h1/1/1', 'a', 'epoll_wait', [2000]],
    ['h1/1/2', 'a', 'read write', [1000, 3000]],
    ['h2/1/2', 'b', 'read', [2000]],
  ]);
  assert.deepEqual(threadTable(threads).objects()[1], { key: 'h1/1/2', service: 'a', host: 'h1', pid: 1, tid: 2, syscalls: 2, first_ns: 1000, last_ns: 3000 });
  assert.equal(threadSequences(table, { keepUnknown: true }).length, 4);
  assert.deepEqual(threadSequences(table, { services: ['b'] }).map((t) => t.key), ['h2/1/2']);
});

test('signal syscalls: score below the threshold; the first n calls are scored after start padding', async () => {
  // Thread 1: q among its first 3 calls, then p's, then q at 20 µs. Thread 2: p's only.
  const calls = [
    ...repeat(S(1), 'p', 0, 2, 1), { ...S(1), us: 2, syscall: 'q' }, ...repeat(S(1), 'p', 3, 10, 1), { ...S(1), us: 20, syscall: 'q' },
    ...repeat(S(2), 'p', 0, 25, 1),
  ];
  const [t1, t2] = threadSequences(syscallsTable(calls));
  const signals = await detectSignals([t1, t2], idleOf('S'));
  const s1 = signals.threads.get('h/10/1')!;
  // <s> p p | q: the early q has a window now, never seen in idle; so do the three p's after it.
  // Without padding neither the q nor (for a thread of at most n calls) anything could ever be a signal.
  assert.ok(!s1.scores.some(Number.isNaN));
  assert.deepEqual([...s1.signals], [2, 3, 4, 5, 13]);
  assert.deepEqual([...s1.signalTs], [2000, 3000, 4000, 5000, 20000]);
  assert.equal(signals.threads.get('h/10/2')!.signals.length, 0);
  // 14 calls, all scored, 5 signals; 25 calls, none.
  assert.deepEqual(signalTable(signals).objects().map((r) => Object.values(r as object)), [['h/10/1', 'S', 14, 14, 5, 5 / 14], ['h/10/2', 'S', 25, 25, 0, 0]]);
  assert.deepEqual(signals.unmodelled, []);
  // A thread with fewer calls than n: its only call, q, is a signal.
  const [short] = threadSequences(syscallsTable([{ ...S(5), us: 0, syscall: 'q' }]));
  assert.deepEqual([...(await detectSignals([short], idleOf('S'))).threads.get('h/10/5')!.signals], [0]);
  // Without an idle model every call is a signal, and the service is reported.
  const none = await detectSignals([t1], new Map());
  assert.deepEqual(none.unmodelled, ['S']);
  assert.equal(none.threads.get('h/10/1')!.signals.length, t1.syscalls.length);
});

test('the threshold is strict: a branch the idle model gives 0.5 is a signal only above 0.5', async () => {
  // Idle: after "a a" comes "b" or "c" equally often (n = 2).
  const idle = new Map([['S', { scorer: ngramScorer([padStart(['a', 'a', 'b', 'a', 'a', 'c'], 2)], 2) }]]);
  const [t] = threadSequences(syscallsTable([{ ...S(1), us: 0, syscall: 'a' }, { ...S(1), us: 1, syscall: 'a' }, { ...S(1), us: 2, syscall: 'b' }]));
  assert.deepEqual([...(await detectSignals([t], idle, { threshold: 0.5 })).threads.get('h/10/1')!.signals], []);
  assert.deepEqual([...(await detectSignals([t], idle, { threshold: 0.51 })).threads.get('h/10/1')!.signals], [2]);
});

test("active threads and ranges: the paper's §4.2 example, thread 1 belongs to span A only", async () => {
  // Span A [20, 30] µs and span B [25, 35] µs of one trace in service S, under a root in service F.
  const spans = spansTable([
    { trace: 't', span: 'r', type: 'GET /', op: 'GET /', service: 'F', startUs: 0, endUs: 100 },
    { trace: 't', span: 'A', parent: 'r', type: 'GET /', op: 'a', service: 'S', startUs: 20, endUs: 30 },
    { trace: 't', span: 'B', parent: 'r', type: 'GET /', op: 'b', service: 'S', startUs: 25, endUs: 35 },
  ]);
  // Thread 1's signals at 22 µs + 100 ns, 25.5 µs and 29 µs + 70 ns; thread 2's at 26 and 34 µs; thread 3 only polls.
  const calls = [
    ...repeat(S(1), 'p', 0, 10, 1), { ...S(1), us: 22.1, syscall: 'q' }, { ...S(1), us: 25.5, syscall: 'q' }, { ...S(1), us: 29.07, syscall: 'q' },
    ...repeat(S(2), 'p', 0, 10, 1), { ...S(2), us: 26, syscall: 'q' }, { ...S(2), us: 34, syscall: 'q' },
    ...repeat(S(3), 'p', 0, 40, 1),
  ];
  const signals = await detectSignals(threadSequences(syscallsTable(calls)), idleOf('S'));
  // The paper's spans are 5 µs apart: the tolerance must be below that (500 ns here).
  const opts = { toleranceNs: 500 };
  const active = activeThreads(spans, signals, opts);
  const rows = (t: aq.ColumnTable) => (t.objects() as Record<string, unknown>[]).map((r) => [r.span_id, r.tid, r.basis, r.signals, r.calls, r.first_ns, r.last_ns, r.within].filter((v) => v !== undefined));
  // Thread 3 has syscalls but no signal in A and B: rows of basis 'calls' (11 polls in each widened window).
  // Thread 1's signals inside B are 25.5 and 29.07 µs (2): 22.1 lies before B.
  // None for span r (service F has no thread).
  assert.deepEqual(rows(active), [
    ['A', 1, 'signal', 3, 3], ['A', 2, 'signal', 1, 1], ['A', 3, 'calls', 0, 11],
    ['B', 1, 'signal', 2, 2], ['B', 2, 'signal', 2, 2], ['B', 3, 'calls', 0, 11],
  ]);
  const ranges = activeRanges(active, spans, signals, opts);
  // A and B overlap, so each range is taken over both; thread 3's calls (20..35 µs) fit neither.
  assert.deepEqual(rows(ranges), [
    ['A', 1, 'signal', 3, 3, 22100, 29070, true], ['A', 2, 'signal', 1, 1, 26000, 34000, false], ['A', 3, 'calls', 0, 11, 20000, 35000, false],
    ['B', 1, 'signal', 2, 2, 22100, 29070, false], ['B', 2, 'signal', 2, 2, 26000, 34000, true], ['B', 3, 'calls', 0, 11, 20000, 35000, false],
  ]);
  const served = serveSpans(ranges, spans).objects() as Record<string, unknown>[];
  assert.deepEqual(served.map((r) => [r.span_id, r.role, r.tid]), [['r', 'none', null], ['A', 'own', 1], ['B', 'own', 2]]);
});

/** The call chain func_A -> func_B -> func_C, and an @Async child D, of trace `id` at `t0` µs. */
function chainSpans(id: string, t0: number) {
  return spansTable([
    { trace: id, span: `${id}A`, type: 'GET /', op: 'func_A', service: 'S', startUs: t0, endUs: t0 + 100 },
    { trace: id, span: `${id}B`, parent: `${id}A`, type: 'GET /', op: 'func_B', service: 'S', startUs: t0 + 10, endUs: t0 + 80 },
    { trace: id, span: `${id}C`, parent: `${id}B`, type: 'GET /', op: 'func_C', service: 'S', startUs: t0 + 20, endUs: t0 + 60 },
    { trace: id, span: `${id}D`, parent: `${id}A`, type: 'GET /', op: 'async', service: 'S', startUs: t0 + 30, endUs: t0 + 40 },
  ]);
}

/** Thread `chain` runs A, B and C (signals from 5 to 95 µs, some inside B and C, none inside D); thread `async` runs D. */
function chainCalls(t0: number, chain: number, async: number): CallSpec[] {
  return [
    ...repeat(S(chain), 'p', t0 - 10, 5, 1), ...[['a', 5], ['b', 15], ['c', 25], ['c', 50], ['b', 70], ['a', 95]].map(([c, us]) => ({ ...S(chain), us: t0 + (us as number), syscall: c as string })),
    ...repeat(S(async), 'p', t0 - 10, 5, 1), ...[32, 38].map((us) => ({ ...S(async), us: t0 + us, syscall: 'd' })),
  ];
}

test('merging: func_A -> func_B -> func_C in one thread is one thread serving three spans; an @Async child keeps its own', async () => {
  const opts = { toleranceNs: 500 };
  const spans = chainSpans('m', 0);
  const signals = await detectSignals(threadSequences(syscallsTable(chainCalls(0, 21, 23))), idleOf('S'));
  const ranges = activeRanges(activeThreads(spans, signals, opts), spans, signals, opts);
  const served = serveSpans(ranges, spans);
  assert.deepEqual((served.objects() as Record<string, unknown>[]).map((r) => [r.span_id, r.span_key, r.role, r.tid, r.into]), [
    ['mA', 'S func_A#1', 'own', 21, ''],
    ['mB', 'S func_B#1', 'merged', 21, 'mA'],
    ['mC', 'S func_C#1', 'merged', 21, 'mA'],
    ['mD', 'S async#1', 'own', 23, ''],
  ]);
  const profiles = buildProfiles(served);
  const p = profiles.byType.get('GET /')!;
  assert.deepEqual(p.spans.get('S func_C#1')!.role, { kind: 'merged', into: 'S func_A#1' });
  // Two threads of S serve the trace: 21 (A, B, C) and 23 (D).
  assert.deepEqual(profiles.services.objects(), [{ trace_type: 'GET /', service: 'S', threads: 2, traces: 1, frequency: 1, mode: true }]);
});

test('stitching merged spans: they take the thread of the span they merge into, with their own window of its syscalls', async () => {
  const opts = { toleranceNs: 500 };
  const idle = idleOf('S');
  const iso = await analyseIsolated({ spans: chainSpans('i', 0), syscalls: syscallsTable(chainCalls(0, 21, 23)) }, idle, opts);
  const trace = await trainTraceModels(iso.sequences, { scorer: 'ngram', n: 2 });
  // Live: the trace served by threads 31 (chain) and 33 (async); meanwhile thread 32 serves something else
  // inside span A, and thread 34 calls d at 35 and 41 µs (within A, not within D).
  const other = [...repeat(S(32), 'p', 990, 5, 1), ...[['a', 3], ['x', 20], ['x', 50], ['a', 97]].map(([c, us]) => ({ ...S(32), us: 1000 + (us as number), syscall: c as string }))];
  const stray = [...repeat(S(34), 'p', 990, 5, 1), { ...S(34), us: 1035, syscall: 'd' }, { ...S(34), us: 1041, syscall: 'd' }];
  const live = { spans: chainSpans('L', 1000), syscalls: syscallsTable([...chainCalls(1000, 31, 33), ...other, ...stray]) };
  const out = await stitchCapture(live, idle, iso.profiles, trace.models, opts);
  // In a live trace every thread whose range fits a span is its candidate; a thread serves one slot only.
  assert.deepEqual(out.plans[0].slots.map((s) => [s.span.spanId, s.candidates.map((c) => c.thread.tid)]), [['LA', [31, 32, 33, 34]], ['LD', [33]]]);
  const rows = out.stitched.objects() as Record<string, unknown>[];
  assert.deepEqual(rows.map((r) => [r.span_id, r.status, r.tid, r.syscalls]), [
    ['LA', STITCHED, 31, 'a b c c b a'],
    ['LB', STITCHED, 31, 'b c c b'],
    ['LC', STITCHED, 31, 'c c'],
    ['LD', STITCHED, 33, 'd d'],
  ]);
  // 4 x 1 combinations; A = 33 takes D's only thread (D overlaps A), which leaves D empty rather than dropping
  // the combination: 4 scored; 31 + 33 give the learnt sequence exactly.
  assert.deepEqual([rows[0].candidates, rows[0].scored, rows[0].likelihood], [4, 4, 1]);
});

test('profiles: the mode role per span over instances, its support, and conforming traces', () => {
  // Five instances of type T with spans x (service a) and y (service b); y is merged into x in one instance.
  const rows: Record<string, unknown>[] = [];
  const add = (trace: string, span: string, key: string, service: string, role: string, tid: number | null, into = '') =>
    rows.push({ trace_id: trace, span_id: span, trace_type: 'T', service, operation: key.split(' ')[1].split('#')[0], span_key: key, role, basis: role === 'own' ? 'signal' : '', thread: tid === null ? '' : `h/1/${tid}`, into, cover: role === 'own' ? 1 : null });
  for (const t of ['t1', 't2', 't3']) {
    add(t, `${t}x`, 'a opx#1', 'a', 'own', 1);
    add(t, `${t}y`, 'b opy#1', 'b', 'own', 2);
  }
  // t4: x has two own threads; t5: y merged into x; t5's x has one.
  add('t4', 't4x', 'a opx#1', 'a', 'own', 1);
  add('t4', 't4x', 'a opx#1', 'a', 'own', 3);
  add('t4', 't4y', 'b opy#1', 'b', 'own', 2);
  add('t5', 't5x', 'a opx#1', 'a', 'own', 1);
  add('t5', 't5y', 'b opy#1', 'b', 'merged', 1, 't5x');
  const served = aq.table(Object.fromEntries(Object.keys(rows[0]).map((c) => [c, rows.map((r) => r[c])])));
  const profiles = buildProfiles(served);
  const p = profiles.byType.get('T')!;
  assert.deepEqual([p.traces, p.conforming], [5, 3]);
  assert.deepEqual([...profiles.conforming].sort(), ['t1', 't2', 't3']);
  assert.deepEqual(profiles.table.objects().map((r) => { const o = r as Record<string, unknown>; return [o.span_key, o.role, o.support, o.present, o.frequency]; }), [
    ['a opx#1', 'own 1', 4, 5, 0.8],
    ['b opy#1', 'own 1', 4, 5, 0.8],
  ]);
  assert.deepEqual(profiles.roles.objects().map((r) => { const o = r as Record<string, unknown>; return [o.span_key, o.role, o.traces]; }), [
    ['a opx#1', 'own 1', 4], ['a opx#1', 'own 2', 1],
    ['b opy#1', 'own 1', 4], ['b opy#1', 'merged a opx#1', 1],
  ]);
  // Threads of a per instance: 1, 1, 1, 2, 1; of b: 1, 1, 1, 1, 0 (t5's y runs on a's thread).
  assert.deepEqual(profiles.services.objects().map((r) => { const o = r as Record<string, unknown>; return [o.service, o.threads, o.traces, o.mode]; }), [
    ['a', 1, 4, true], ['a', 2, 1, false],
    ['b', 0, 1, false], ['b', 1, 4, true],
  ]);
  // Without the cover column every span would look uncovered: refused, naming the column.
  assert.throws(() => buildProfiles(served.select(aq.not('cover'))), /served table has no "cover" column/);
  // An empty table (no instances) has no columns to check and no profiles.
  assert.equal(buildProfiles(aq.table({})).byType.size, 0);
});

test('a database span whose calls are an idle routine (a ping) is served by calls; one connection thread serves successive queries', async () => {
  // Idle: F polls; D's connection threads answer pings "r s" (the same calls as a query).
  const F = (tid: number) => ({ host: 'h', pid: 1, tid, service: 'F' });
  const D = (tid: number) => ({ host: 'h', pid: 2, tid, service: 'D' });
  const idle = new Map<string, { scorer: SequenceScorer }>([
    ['F', { scorer: ngramScorer([padStart(Array(30).fill('p'), 2)], 2) }],
    ['D', { scorer: ngramScorer([padStart(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 'r' : 's')), 2)], 2) }],
  ]);
  // A trace at t0: F's span [0, 100] calls D twice, q1 [40, 50] and q2 [60, 70] µs.
  const spans = (id: string, t0: number) => spansTable([
    { trace: id, span: `${id}f`, type: 'GET /', op: 'get', service: 'F', startUs: t0, endUs: t0 + 100 },
    { trace: id, span: `${id}q1`, parent: `${id}f`, type: 'GET /', op: 'find', service: 'D', startUs: t0 + 40, endUs: t0 + 50 },
    { trace: id, span: `${id}q2`, parent: `${id}f`, type: 'GET /', op: 'find', service: 'D', startUs: t0 + 60, endUs: t0 + 70 },
  ]);
  const served = (t0: number, f: number, d: number): CallSpec[] => [
    ...[['a', 10], ['w', 39], ['x', 51], ['w', 59], ['x', 71], ['b', 90]].map(([c, us]) => ({ ...F(f), us: t0 + (us as number), syscall: c as string })),
    ...[41, 61].flatMap((us) => [{ ...D(d), us: t0 + us, syscall: 'r' }, { ...D(d), us: t0 + us + 8, syscall: 's' }]),
  ];
  const opts = { toleranceNs: 500 };
  // Isolated: thread 7 answers both queries; thread 8 only pings, long after.
  const iso = await analyseIsolated({ spans: spans('i', 0), syscalls: syscallsTable([...served(0, 1, 7), { ...D(8), us: 500, syscall: 'r' }, { ...D(8), us: 510, syscall: 's' }]) }, idle, opts);
  const rows = (iso.served.objects() as Record<string, unknown>[]).map((r) => [r.span_id, r.role, r.basis, r.tid]);
  // No D call is a signal, yet q1 and q2 get thread 7 (their ranges are taken apart: they do not overlap).
  assert.deepEqual(rows, [['if', 'own', 'signal', 1], ['iq1', 'own', 'calls', 7], ['iq2', 'own', 'calls', 7]]);
  assert.equal(iso.profiles.byType.get('GET /')!.spans.get('D find#2')!.role.kind, 'own');
  assert.deepEqual(iso.profiles.table.objects().map((r) => (r as Record<string, unknown>).role), ['own 1 by calls', 'own 1 by calls', 'own 1']);
  const trace = await trainTraceModels(iso.sequences, { scorer: 'ngram', n: 2 });
  // Live: the trace served by F 11 and D 17; D 18 answers the same calls in the opposite order inside q1 and q2.
  const decoy: CallSpec[] = [41, 61].flatMap((us) => [{ ...D(18), us: 1000 + us, syscall: 's' }, { ...D(18), us: 1000 + us + 8, syscall: 'r' }]);
  const out = await stitchCapture({ spans: spans('L', 1000), syscalls: syscallsTable([...served(1000, 11, 17), ...decoy]) }, idle, iso.profiles, trace.models, opts);
  // Basis 'calls' slots take every thread whose calls fit; one thread may serve both (successive) queries.
  assert.deepEqual(out.plans[0].slots.map((s) => s.candidates.map((c) => c.thread.tid)), [[11], [17, 18], [17, 18]]);
  assert.deepEqual((out.stitched.objects() as Record<string, unknown>[]).map((r) => [r.span_id, r.status, r.tid]), [
    ['Lf', STITCHED, 11], ['Lq1', STITCHED, 17], ['Lq2', STITCHED, 17],
  ]);
});

test("a span's main thread is the one with the most calls in it, not the first to signal (a poller hands the request over)", async () => {
  // Span [20, 100] µs: thread 2 (a poller) signals at 21 µs and then idles; thread 3 (the worker) serves from 25 to 95 µs.
  const spans = spansTable([{ trace: 't', span: 's', type: 'GET /', op: 'get', service: 'S', startUs: 20, endUs: 100 }]);
  const calls = [
    ...repeat(S(2), 'p', 0, 5, 1), { ...S(2), us: 21, syscall: 'e' }, ...repeat(S(2), 'p', 200, 5, 1),
    ...repeat(S(3), 'q', 25, 8, 10),
  ];
  const opts = { toleranceNs: 500 };
  const iso = await analyseIsolated({ spans, syscalls: syscallsTable(calls) }, idleOf('S'), opts);
  const rows = (iso.served.objects() as Record<string, unknown>[]).map((r) => [r.role, r.tid]);
  // Both fit the span (own 2); the worker, with 8 calls in it against 1, comes first.
  assert.deepEqual(rows, [['own', 3], ['own', 2]]);
});

test('a thread that signals in successive spans of its service is own to each; in nested spans (a call chain), to all of them', async () => {
  // Spans a [10, 20] and b [30, 40] one after the other, c [50, 90] with d [60, 70] inside it; thread 4 serves all.
  const spans = spansTable([
    { trace: 't', span: 'a', type: 'GET /', op: 'a', service: 'S', startUs: 10, endUs: 20 },
    { trace: 't', span: 'b', type: 'GET /', op: 'b', service: 'S', startUs: 30, endUs: 40 },
    { trace: 't', span: 'c', type: 'GET /', op: 'c', service: 'S', startUs: 50, endUs: 90 },
    { trace: 't', span: 'd', parent: 'c', type: 'GET /', op: 'd', service: 'S', startUs: 60, endUs: 70 },
  ]);
  const calls = [...repeat(S(4), 'p', 0, 5, 1), ...[12, 18, 32, 38, 62, 68].map((us) => ({ ...S(4), us, syscall: 'q' }))];
  const opts = { toleranceNs: 500 };
  const signals = await detectSignals(threadSequences(syscallsTable(calls)), idleOf('S'));
  const served = serveSpans(activeRanges(activeThreads(spans, signals, opts), spans, signals, opts), spans);
  // c holds d's signals only: d (inner) takes thread 4 first, and c, the chain's outer span, keeps it too.
  assert.deepEqual((served.objects() as Record<string, unknown>[]).map((r) => [r.span_id, r.role, r.tid]), [
    ['a', 'own', 4], ['b', 'own', 4], ['c', 'own', 4], ['d', 'own', 4],
  ]);
});

/** Spans p [0, 1000] µs and its child c [200, 800] µs of service S; thread 1 serves p and signals inside c as well. */
async function parentAndChild(child: CallSpec[]): Promise<unknown[][]> {
  const spans = spansTable([
    { trace: 't', span: 'p', type: 'GET /', op: 'p', service: 'S', startUs: 0, endUs: 1000 },
    { trace: 't', span: 'c', parent: 'p', type: 'GET /', op: 'c', service: 'S', startUs: 200, endUs: 800 },
  ]);
  const loop = [10, 100, 300, 500, 700, 990].map((us) => ({ ...S(1), us, syscall: 'q' }));
  const opts = { toleranceNs: 500 };
  const signals = await detectSignals(threadSequences(syscallsTable([...loop, ...child])), idleOf('S'));
  const served = serveSpans(activeRanges(activeThreads(spans, signals, opts), spans, signals, opts), spans);
  return (served.objects() as Record<string, unknown>[]).map((r) => [r.span_id, r.role, r.tid, r.into]);
}

test("a child span whose only fitting thread is a helper (a short burst in it) is merged into its parent's thread active inside it", async () => {
  // Thread 2, a pool thread (idle before), signals at 400 and 450 µs only: 50 of c's 600 µs, under half.
  const rows = await parentAndChild([...repeat(S(2), 'p', 0, 5, 1), { ...S(2), us: 400, syscall: 'd' }, { ...S(2), us: 450, syscall: 'd' }]);
  assert.deepEqual(rows, [['p', 'own', 1, ''], ['c', 'merged', 1, 'p']]);
});

test('a child span served by a thread created for it (active from its start to its end) keeps that thread', async () => {
  // Thread 3's calls run from 201 to 799 µs: all of c; thread 1 signalling inside c does not take it.
  const rows = await parentAndChild([201, 500, 799].map((us) => ({ ...S(3), us, syscall: 'q' })));
  assert.deepEqual(rows, [['p', 'own', 1, ''], ['c', 'own', 3, '']]);
});

test('overlapping sibling spans (parallel @Async calls): each thread goes to the sibling its range fits best, not to the shorter', async () => {
  // A [100, 500] µs and B [150, 480] µs, children of r. With the default 100 µs tolerance both ranges lie
  // within both spans. Thread 1 (90..495 µs) fits A: overlap 395 / union 410 = 0.96, B 330 / 405 = 0.81;
  // thread 2 (145..478 µs) fits B: 328 / 335 = 0.98, A 333 / 400 = 0.83. "The shorter span" gives both to B.
  const spans = spansTable([
    { trace: 't', span: 'r', type: 'POST /', op: 'POST /', service: 'F', startUs: 0, endUs: 1000 },
    { trace: 't', span: 'A', parent: 'r', type: 'POST /', op: 'a', service: 'S', startUs: 100, endUs: 500 },
    { trace: 't', span: 'B', parent: 'r', type: 'POST /', op: 'b', service: 'S', startUs: 150, endUs: 480 },
  ]);
  const calls = [
    ...repeat(S(1), 'p', 0, 5, 10), ...[90, 300, 495].map((us) => ({ ...S(1), us, syscall: 'q' })),
    ...repeat(S(2), 'p', 0, 5, 10), ...[145, 300, 478].map((us) => ({ ...S(2), us, syscall: 'q' })),
  ];
  const signals = await detectSignals(threadSequences(syscallsTable(calls)), idleOf('S'));
  const ranges = activeRanges(activeThreads(spans, signals), spans, signals);
  const served = serveSpans(ranges, spans).objects() as Record<string, unknown>[];
  assert.deepEqual(served.filter((r) => r.span_id !== 'r').map((r) => [r.span_id, r.role, r.tid]), [['A', 'own', 1], ['B', 'own', 2]]);
  // Their cover of the spans: thread 1 395 / 400, thread 2 328 / 330.
  assert.deepEqual(served.filter((r) => r.span_id !== 'r').map((r) => r.cover), [395 / 400, 328 / 330]);
});

test('live candidates: a thread false active in every span it is active in stays a candidate; a span with no signal takes the threads with calls', async () => {
  const opts = { toleranceNs: 500 };
  // A [100, 200] and B [150, 250] µs are parallel siblings, C [300, 400] follows; root r in F (no threads).
  const spans = (id: string, t0: number) => spansTable([
    { trace: id, span: `${id}r`, type: 'GET /', op: 'GET /', service: 'F', startUs: t0, endUs: t0 + 500 },
    { trace: id, span: `${id}A`, parent: `${id}r`, type: 'GET /', op: 'a', service: 'S', startUs: t0 + 100, endUs: t0 + 200 },
    { trace: id, span: `${id}B`, parent: `${id}r`, type: 'GET /', op: 'b', service: 'S', startUs: t0 + 150, endUs: t0 + 250 },
    { trace: id, span: `${id}C`, parent: `${id}r`, type: 'GET /', op: 'c', service: 'S', startUs: t0 + 300, endUs: t0 + 400 },
  ]);
  const serve = (tid: number, us: number[]) => [...repeat(S(tid), 'p', 0, 10, 10), ...us.map((u) => ({ ...S(tid), us: u, syscall: 'q' }))];
  // Isolated: one thread per span, each signalling over 90% of it.
  const iso = await analyseIsolated({ spans: spans('i', 0), syscalls: syscallsTable([...serve(1, [105, 150, 195]), ...serve(2, [155, 200, 245]), ...serve(3, [305, 350, 395])]) }, idleOf('S'), opts);
  assert.deepEqual([...iso.profiles.byType.get('GET /')!.spans.values()].map((s) => [s.key, s.role.kind, s.covered]), [
    ['F GET /#1', 'none', false], ['S a#1', 'own', true], ['S b#1', 'own', true], ['S c#1', 'own', true],
  ]);
  const trace = await trainTraceModels(iso.sequences, { scorer: 'ngram', n: 2 });
  // Live: thread 11 signals at 1110 and 1240 µs: its range over A and B (1110..1240) lies within neither;
  // thread 13 only runs its idle loop through C (no signal); no other thread of S is there.
  const live = { spans: spans('L', 1000), syscalls: syscallsTable([...serve(11, [1110, 1240]).map((c) => ({ ...c, us: c.us < 1000 ? c.us + 1000 : c.us })), ...repeat(S(13), 'p', 1000, 41, 10)]) };
  const out = await stitchCapture(live, idleOf('S'), iso.profiles, trace.models, opts);
  const ranges = out.ranges.objects() as { span_id: string; tid: number; basis: string; within: boolean }[];
  assert.deepEqual(ranges.filter((r) => r.tid === 11).map((r) => [r.span_id, r.basis, r.within]), [['LA', 'signal', false], ['LB', 'signal', false]]);
  assert.deepEqual(out.plans[0].slots.map((s) => [s.span.spanId, s.candidates.map((c) => c.thread.tid)]), [['LA', [11]], ['LB', [11]], ['LC', [13]]]);
  const rows = out.stitched.objects() as { span_id: string; status: string; tid: number | null }[];
  // A and B overlap: one thread serves one of them; C gets its only thread with calls.
  assert.deepEqual(rows.map((r) => [r.span_id, r.status, r.tid]), [
    ['Lr', 'the profile gives this span no thread', null], ['LA', STITCHED, 11], ['LB', 'every candidate thread serves an overlapping span', null], ['LC', STITCHED, 13],
  ]);
});
