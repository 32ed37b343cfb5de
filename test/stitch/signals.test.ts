/**
 * Scoring only what stitching reads (signals.ts scoringRanges): the ranges on a hand-built case,
 * scores equal to whole-thread scoring where kept (their context reaching outside the ranges), and
 * the same stitching, profiles and global sequences on a small simulated Sock Shop capture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../../lib/sim/index';
import { analyseIsolatedSet, detectSignals, evaluate, ngramScorer, padStart, stitchCapture, table2, threadSequences, trainIdleModels, trainTraceModels } from '../../lib/stitch/index';
import type { SequenceScorer } from '../../lib/stitch/index';
import { scoringRanges } from '../../lib/stitch/signals';
import { repeat, spansTable, syscallsTable } from './tables';

const S = (tid: number) => ({ host: 'h', pid: 10, tid, service: 'S' });

test('scoringRanges: the syscalls inside some span window of the service, widened by the tolerance; none for a service without spans', () => {
  const calls = [...repeat(S(1), 'p', 0, 40, 1), { host: 'h', pid: 20, tid: 1, service: 'T', us: 5, syscall: 'p' }];
  const threads = threadSequences(syscallsTable(calls));
  const spans = spansTable([
    // Windows [4.5, 10.5], [9.5, 12.5] µs (0.5 µs tolerance) overlap: one range, calls 5..12.
    { trace: 't1', span: 'a', type: 'X', op: 'x', service: 'S', startUs: 5, endUs: 10 },
    { trace: 't2', span: 'b', type: 'X', op: 'x', service: 'S', startUs: 10, endUs: 12 },
    // Window [19.5, 20.5]: call 20 alone; [30.5, 31.5]: between calls 30 and 32 is call 31.
    { trace: 't3', span: 'c', type: 'X', op: 'x', service: 'S', startUs: 20, endUs: 20 },
    { trace: 't4', span: 'd', type: 'X', op: 'x', service: 'S', startUs: 31, endUs: 31 },
    // Outside every call of the thread: no range.
    { trace: 't5', span: 'e', type: 'X', op: 'x', service: 'S', startUs: 100, endUs: 200 },
  ]);
  const ranges = scoringRanges(threads, spans, { toleranceNs: 500 });
  assert.deepEqual(ranges.get('h/10/1'), [[5, 13], [20, 21], [31, 32]]);
  assert.deepEqual(ranges.get('h/20/1'), []);
  // A wider tolerance joins [5, 13] and call 13 (window [3.5, 13.5]).
  assert.deepEqual(scoringRanges(threads, spans, { toleranceNs: 1500 }).get('h/10/1'), [[4, 14], [19, 22], [30, 33]]);
});

test('detectSignals with spans: the whole-thread score at every kept position (its n calls of context included), NaN elsewhere', async () => {
  // Idle model: "p" loops from the start, n = 3. The q at 2 µs lies outside the span but is context of calls 3..5.
  const idle = new Map<string, { scorer: SequenceScorer }>([['S', { scorer: ngramScorer([padStart(Array(30).fill('p'), 3)], 3) }]]);
  const calls = [...repeat(S(1), 'p', 0, 2, 1), { ...S(1), us: 2, syscall: 'q' }, ...repeat(S(1), 'p', 3, 10, 1), { ...S(1), us: 20, syscall: 'q' }];
  const threads = threadSequences(syscallsTable(calls));
  const spans = spansTable([{ trace: 't', span: 'a', type: 'X', op: 'x', service: 'S', startUs: 4, endUs: 5 }]);
  const all = (await detectSignals(threads, idle)).threads.get('h/10/1')!;
  const some = (await detectSignals(threads, idle, { spans, toleranceNs: 1000 })).threads.get('h/10/1')!;
  // Window [3, 6] µs: calls 3..6. Calls 3 and 4 follow the q (p after q: 0, signals), 5 has q in its context.
  assert.deepEqual([...some.scores].map((s, i) => (Number.isNaN(s) ? null : i)).filter((i) => i !== null), [3, 4, 5, 6]);
  for (const i of [3, 4, 5, 6]) assert.equal(some.scores[i], all.scores[i]);
  assert.deepEqual([...some.signals], [3, 4, 5]);
  assert.deepEqual([...all.signals], [2, 3, 4, 5, 13]);
  // A service without an idle model: its kept calls are signals, no others.
  const none = (await detectSignals(threads, new Map(), { spans, toleranceNs: 1000 })).threads.get('h/10/1')!;
  assert.deepEqual([...none.signals], [3, 4, 5, 6]);
});

test('a simulated Sock Shop capture stitches the same with and without the restriction, scoring fewer syscalls', async () => {
  const idle = simulate({ mode: 'idle', durationS: 2, seed: 5 });
  const isolated = ['GET /login', 'GET /catalogue/{id}'].map((traceType, i) => simulate({ mode: 'isolated', traceType, instances: 8, seed: 6 + i, name: `iso${i}` }));
  const live = simulate({ mode: 'live', durationS: 1, seed: 8, mix: { 'GET /login': 1, 'GET /catalogue/{id}': 1 } });
  const fit = { scorer: 'ngram' as const };
  const idleModels = await trainIdleModels(idle.syscalls, fit);
  const run = async (scoreAll: boolean) => {
    const iso = await analyseIsolatedSet(isolated, idleModels.models, { scoreAll });
    const traceModels = await trainTraceModels(iso.sequences, fit);
    return { iso, live: await stitchCapture(live, idleModels.models, iso.profiles, traceModels.models, { scoreAll }) };
  };
  const [all, some] = [await run(true), await run(false)];
  const scored = (r: typeof all) => [...r.live.signals.threads.values()].reduce((c, t) => c + t.scores.filter((s) => !Number.isNaN(s)).length, 0);
  assert.ok(scored(some) < scored(all), `restricted ${scored(some)} of ${scored(all)} syscalls scored`);
  assert.ok(all.live.stitched.numRows() > 20, 'the capture has traces to stitch');
  assert.deepEqual(some.live.stitched.objects(), all.live.stitched.objects());
  assert.deepEqual(table2(evaluate(some.live.stitched, live.truth, live.spans)), table2(evaluate(all.live.stitched, live.truth, live.spans)));
  assert.deepEqual([...some.iso.sequences], [...all.iso.sequences]);
  assert.deepEqual(some.iso.profiles.table.objects(), all.iso.profiles.table.objects());
});
