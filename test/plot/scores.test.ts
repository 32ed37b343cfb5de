/** The figure samples read from hand-made signals: scores per service, served scores, signal rows. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as aq from 'arquero';
import { scoresByService, servedScores, signalRows } from '../../lib/plot/index';
import type { Signals, ThreadSignals } from '../../lib/stitch/index';

/** A scored thread: times in ns, scores per call, signals where the score is below 0.1. */
function scored(service: string, tid: number, ts: number[], scores: number[]): ThreadSignals {
  const key = `h/1/${tid}`;
  const signals = Int32Array.from(scores.flatMap((s, i) => (s < 0.1 ? [i] : [])));
  return {
    thread: { key, service, host: 'h', pid: 1, tid, ts: Float64Array.from(ts), syscalls: ts.map(() => 'read') },
    scores: Float32Array.from(scores),
    signals,
    signalTs: Float64Array.from(signals, (i) => ts[i]),
  };
}

const A = scored('user', 11, [100, 200, 300, 400], [0.9, 0.05, 0.01, 0.8]);
const B = scored('user', 12, [150, 250], [0.5, 0.02]);
const C = scored('carts', 21, [120, 500], [0.03, 0.7]);
const SIGNALS: Signals = {
  threshold: 0.1,
  threads: new Map([A, B, C].map((t) => [t.thread.key, t])),
  byService: new Map([['user', [A, B]], ['carts', [C]]]),
  unmodelled: [],
};

test('scoresByService concatenates the scores of each service\'s threads in thread order', () => {
  const out = scoresByService(SIGNALS);
  assert.deepEqual([...out.keys()], ['user', 'carts']);
  assert.deepEqual([...out.get('user')!].map((x) => +x.toFixed(2)), [0.9, 0.05, 0.01, 0.8, 0.5, 0.02]);
  assert.deepEqual([...out.get('carts')!].map((x) => +x.toFixed(2)), [0.03, 0.7]);
});

test('servedScores takes each serving thread\'s calls inside its widened spans once, and skips rows without a thread', () => {
  // Thread 11 serves two overlapping spans [190, 310] and [280, 320] (a merge): calls at 200 and 300
  // count once each. Thread 21 serves [450, 480]; with 30 ns of tolerance its call at 500 is in, the one at 120 is not.
  const served = aq.table({
    thread: ['h/1/11', 'h/1/11', 'h/1/21', ''],
    start_ns: [190, 280, 450, 0],
    end_ns: [310, 320, 480, 1000],
  });
  const out = servedScores(SIGNALS, served, 30);
  assert.deepEqual([...out.get('user')!].map((x) => +x.toFixed(2)), [0.05, 0.01]);
  assert.deepEqual([...out.get('carts')!].map((x) => +x.toFixed(2)), [0.7]);
  // Without tolerance the carts call at 500 lies outside [450, 480], and so does its call at 120.
  assert.equal(servedScores(SIGNALS, served, 0).get('carts')!.length, 0);
});

test('signalRows lists the signal syscalls of the threads asked for, once per thread', () => {
  assert.deepEqual(signalRows(SIGNALS, ['h/1/11', 'h/1/12', 'h/1/11', 'h/9/9']), [
    { thread: 'h/1/11', ts_ns: 200 },
    { thread: 'h/1/11', ts_ns: 300 },
    { thread: 'h/1/12', ts_ns: 250 },
  ]);
});
