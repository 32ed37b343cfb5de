/** Candidate combinations and their search: distinct threads, counts, exhaustive and beam search. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../lib/sim/rng';
import {
  DEFAULT_BEAM_WIDTH, DEFAULT_EXHAUSTIVE_LIMIT, choices, combinationCount, combinationLabel, combinations, globalSequence, combinationParts, ngramScorer, padStart, searchCombinations,
} from '../../lib/stitch/index';
import type { Slot, ThreadSignals, TracePlan } from '../../lib/stitch/index';

/** A thread whose every call is a signal. */
function thread(service: string, tid: number, calls: [string, number][]): ThreadSignals {
  const ts = Float64Array.from(calls, (c) => c[1]);
  return {
    thread: { key: `h/1/${tid}`, service, host: 'h', pid: 1, tid, ts, syscalls: calls.map((c) => c[0]) },
    scores: new Float32Array(calls.length),
    signals: Int32Array.from(calls.keys()),
    signalTs: ts.slice(),
  };
}

/** A plan with one slot per entry (slots must be given in window order). */
function plan(slots: { service: string; from: number; to: number; threads?: number; candidates: ThreadSignals[] }[]): TracePlan {
  const out: Slot[] = slots.map((s, i) => ({
    span: { traceId: 't', spanId: `s${i}`, parentId: '', traceType: 'T', operation: `op${i}`, service: s.service, start: s.from, end: s.to },
    key: `${s.service} op${i}#1`, threads: s.threads ?? 1, from: s.from, to: s.to, candidates: s.candidates,
  }));
  return { traceId: 't', traceType: 'T', slots: out, spans: out.map((slot, i) => ({ span: slot.span, key: slot.key, slot: i, reason: '' })) };
}

test('combinations: a thread serves one slot at most; k threads are chosen as k-subsets', () => {
  const a = thread('S', 1, [['x', 1]]);
  const b = thread('S', 2, [['y', 2]]);
  const c = thread('S', 3, [['z', 3]]);
  const p = plan([{ service: 'S', from: 0, to: 10, candidates: [a, b] }, { service: 'S', from: 0, to: 10, candidates: [a, b] }]);
  assert.equal(combinationCount(p), 4);
  assert.deepEqual([...combinations(p)], [[[0], [1]], [[1], [0]]]);
  const k2 = plan([{ service: 'S', from: 0, to: 10, threads: 2, candidates: [a, b, c] }]);
  assert.deepEqual(choices(k2.slots[0]), [[0, 1], [0, 2], [1, 2]]);
  assert.equal(combinationCount(k2), 3);
  assert.equal(combinationLabel(k2, [[0, 2]]), 'S1+S3');
  // The two threads of a slot merge in time order into one sequence.
  assert.deepEqual(globalSequence(combinationParts(k2, [[0, 2]])), ['S:x', 'S:z']);
});

test("global sequences: the syscalls in each part's window, by time; 'signal' keeps only signal syscalls; a cut keeps a prefix", () => {
  const t1 = thread('A', 1, [['r', 5], ['e', 8], ['w', 30]]);
  const t2 = thread('B', 2, [['x', 1], ['r', 10], ['w', 20], ['e', 40]]);
  // Only r and w are signal syscalls.
  for (const t of [t1, t2]) {
    t.signals = Int32Array.from(t.thread.syscalls.flatMap((c, i) => (c === 'e' ? [] : [i])));
    t.signalTs = Float64Array.from(t.signals, (i) => t.thread.ts[i]);
  }
  const parts = [{ thread: t1, from: 0, to: 30 }, { thread: t2, from: 5, to: 35 }];
  assert.deepEqual(globalSequence(parts), ['A:r', 'A:e', 'B:r', 'B:w', 'A:w']);
  assert.deepEqual(globalSequence(parts, { syscalls: 'signal' }), ['A:r', 'B:r', 'B:w', 'A:w']);
  assert.deepEqual(globalSequence(parts, {}, 20), ['A:r', 'A:e', 'B:r']);
});

/** m slots of c candidates each; every candidate calls syscalls of its own (unseen elsewhere), the first just after its slot opens. */
function uniquePlan(rng: Rng, m: number, c: number): { plan: TracePlan; truth: number[] } {
  const slots = Array.from({ length: m }, (_, j) => {
    const from = j * 10;
    const candidates = Array.from({ length: c }, (_, i) => {
      const calls: [string, number][] = [[`s${j}c${i}k0`, from + rng.uniform(0, 5)]];
      const more = rng.int(1, 3);
      for (let k = 1; k <= more; k++) calls.push([`s${j}c${i}k${k}`, rng.uniform(from + 5, from + 60)]);
      return thread(`S${j}`, 100 * j + i, calls.sort((x, y) => x[1] - y[1]));
    });
    return { service: `S${j}`, from, to: from + 60, candidates };
  });
  return { plan: plan(slots), truth: slots.map(() => rng.int(0, c - 1)) };
}

test('beam search equals exhaustive search where both run (a model of the true sequence; beam width 1)', async () => {
  const rng = new Rng(11);
  for (let round = 0; round < 5; round++) {
    const { plan: p, truth } = uniquePlan(rng, 4, 3);
    const trueSeq = globalSequence(combinationParts(p, truth.map((i) => [i])));
    // Every token of the true sequence is distinct, so the n-gram model predicts it with probability 1,
    // and any other candidate brings an unseen token before the next slot opens (score 0 there).
    const model = { scorer: ngramScorer([padStart(trueSeq, 2)], 2) };
    const ex = await searchCombinations(p, model, { search: 'exhaustive' });
    const beam = await searchCombinations(p, model, { search: 'beam', beamWidth: 1 });
    assert.deepEqual(ex.combination, truth.map((i) => [i]));
    assert.deepEqual(beam.combination, ex.combination);
    assert.deepEqual([ex.likelihood, beam.likelihood], [1, 1]);
    assert.deepEqual([ex.candidates, ex.scored, beam.candidates, beam.scored], [81, 81, 81, 4 * 3]);
  }
});

test('a beam as wide as the search space scores every combination: the same best likelihood as exhaustive, on random data', async () => {
  const rng = new Rng(5);
  const alphabet = ['a', 'b', 'c'];
  for (let round = 0; round < 10; round++) {
    const slots = Array.from({ length: 3 }, (_, j) => ({
      service: `S${j}`, from: j * 10, to: j * 10 + 50,
      candidates: Array.from({ length: rng.int(2, 3) }, (_, i) => thread(`S${j}`, 10 * j + i,
        Array.from({ length: rng.int(1, 4) }, () => [rng.pick(alphabet), rng.uniform(j * 10, j * 10 + 50)] as [string, number]).sort((x, y) => x[1] - y[1]))),
    }));
    const p = plan(slots);
    const training = Array.from({ length: 4 }, () => padStart(Array.from({ length: 12 }, () => `S${rng.int(0, 2)}:${rng.pick(alphabet)}`), 2));
    const model = { scorer: ngramScorer(training, 2) };
    const ex = await searchCombinations(p, model, { search: 'exhaustive' });
    const beam = await searchCombinations(p, model, { search: 'beam', beamWidth: combinationCount(p) });
    assert.equal(beam.likelihood, ex.likelihood, `round ${round}`);
    assert.equal(ex.scored, combinationCount(p));
  }
});

test('the search is exhaustive up to the limit, a beam beyond; a plan without slots is not searched', async () => {
  const { plan: p } = uniquePlan(new Rng(3), 3, 3);
  const model = { scorer: ngramScorer([['x', 'y']], 1) };
  assert.equal((await searchCombinations(p, model)).search, 'exhaustive');
  assert.equal((await searchCombinations(p, model, { exhaustiveLimit: 27 })).search, 'exhaustive');
  const beam = await searchCombinations(p, model, { exhaustiveLimit: 26, beamWidth: 2 });
  // Slot 1: 3 prefixes; slots 2 and 3: 2 kept x 3.
  assert.deepEqual([beam.search, beam.candidates, beam.scored], ['beam', 27, 15]);
  const empty = await searchCombinations({ traceId: 'e', traceType: 'T', slots: [], spans: [] }, model);
  assert.deepEqual([empty.search, empty.combination, empty.scored], ['none', null, 0]);
  await assert.rejects(searchCombinations(p, model, { search: 'beam', beamWidth: 0 }), /beam width/);
});

test('default search on a space too large for exhaustive search: a beam of the default width finds the truth, scoring a known number of prefixes', async () => {
  // 8 slots of 4 candidates: 4^8 = 65,536 combinations, beyond DEFAULT_EXHAUSTIVE_LIMIT.
  const { plan: p, truth } = uniquePlan(new Rng(21), 8, 4);
  const model = { scorer: ngramScorer([padStart(globalSequence(combinationParts(p, truth.map((i) => [i]))), 2)], 2) };
  assert.ok(combinationCount(p) > DEFAULT_EXHAUSTIVE_LIMIT);
  const beam = await searchCombinations(p, model);
  assert.equal(beam.search, 'beam');
  assert.deepEqual(beam.combination, truth.map((i) => [i]));
  // Slot 1: 4 prefixes (all kept, 4 < 16); slot 2: 4 x 4 = 16 (all kept); slots 3..8: 16 kept x 4 each.
  assert.equal(DEFAULT_BEAM_WIDTH, 16);
  assert.deepEqual([beam.candidates, beam.scored], [65_536, 4 + 16 + 6 * 16 * 4]);
  // Where both run (forced), the exhaustive search agrees.
  const small = uniquePlan(new Rng(22), 5, 4); // 1,024 combinations
  const smallModel = { scorer: ngramScorer([padStart(globalSequence(combinationParts(small.plan, small.truth.map((i) => [i]))), 2)], 2) };
  const ex = await searchCombinations(small.plan, smallModel, { search: 'exhaustive' });
  const bm = await searchCombinations(small.plan, smallModel, { search: 'beam' });
  assert.deepEqual([ex.scored, bm.scored], [1024, 4 + 16 + 3 * 16 * 4]);
  assert.deepEqual(bm.combination, ex.combination);
  assert.deepEqual(ex.combination, small.truth.map((i) => [i]));
});

test('a greedy pick (beam width 1) takes the likelier first thread and loses; width 2 and exhaustive search do not', async () => {
  // Trace model (n = 1) of four traces: three "A:a B:q", one "A:c B:d". Slot A offers threads a and c;
  // slot B offers d and e (no q). Prefixes: P(A:a | start) = 3/4 beats P(A:c | start) = 1/4. Full
  // sequences: a-d and a-e score (3/4 + 0) / 2 = 0.375, c-d (1/4 + 1) / 2 = 0.625, c-e 0.125.
  const training = [...Array.from({ length: 3 }, () => padStart(['A:a', 'B:q'], 1)), padStart(['A:c', 'B:d'], 1)];
  const model = { scorer: ngramScorer(training, 1) };
  const p = plan([
    { service: 'A', from: 0, to: 10, candidates: [thread('A', 1, [['a', 1]]), thread('A', 2, [['c', 2]])] },
    { service: 'B', from: 20, to: 30, candidates: [thread('B', 3, [['d', 21]]), thread('B', 4, [['e', 22]])] },
  ]);
  const greedy = await searchCombinations(p, model, { search: 'beam', beamWidth: 1 });
  assert.deepEqual(greedy.combination![0], [0]);
  assert.equal(greedy.likelihood, 0.375);
  const beam = await searchCombinations(p, model, { search: 'beam', beamWidth: 2 });
  const ex = await searchCombinations(p, model, { search: 'exhaustive' });
  assert.deepEqual([beam.combination, ex.combination], [[[1], [0]], [[1], [0]]]);
  assert.deepEqual([beam.likelihood, ex.likelihood], [0.625, 0.625]);
});

test('a combination that leaves a slot empty loses to one that fills it, whatever their means', async () => {
  // Slots 0 and 1 overlap and share thread t (1 -> a, a good fit) and u; slot 1 has only t. Giving t to
  // slot 0 leaves slot 1 empty with a perfect mean (only "a" scored); u in slot 0 fills both slots.
  const t = thread('S', 1, [['a', 1]]);
  const u = thread('S', 2, [['b', 2]]);
  const model = { scorer: ngramScorer([padStart(['S:a'], 1), padStart(['S:a'], 1), padStart(['S:b', 'S:a'], 1)], 1) };
  const p = plan([{ service: 'S', from: 0, to: 10, candidates: [t, u] }, { service: 'S', from: 0, to: 10, candidates: [t] }]);
  const ex = await searchCombinations(p, model, { search: 'exhaustive' });
  assert.deepEqual(ex.combination, [[1], [0]]);
});
