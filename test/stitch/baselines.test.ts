import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASELINES, stitchBaseline } from '../../lib/stitch/baselines';
import { evaluate } from '../../lib/stitch/evaluate';
import { ngramScorer } from '../../lib/stitch/scorer';
import { detectSignals } from '../../lib/stitch/signals';
import { STITCHED } from '../../lib/stitch/stitch';
import { threadSequences } from '../../lib/stitch/threads';
import { repeat, spansTable, syscallsTable, truthTable } from './tables';

// One service, three threads of one process. Span A (1000-2000 µs) is a request that thread 12
// reads and answers; its child B (1200-1800 µs, same service) is handed off to thread 13, which
// makes many calls; thread 11 idles (futex) all along. The idle model knows only futex loops, so
// every other call is a signal.
const svc = { host: 'h', pid: 10, service: 'svc' };
const calls = [
  ...repeat({ ...svc, tid: 11 }, 'futex', 0, 31, 100),
  ...[
    [1010, 'read'], [1020, 'sendto'], [1030, 'recvfrom'], [1900, 'futex'], [1950, 'write'],
  ].map(([us, syscall]) => ({ ...svc, tid: 12, us: us as number, syscall: syscall as string })),
  ...repeat({ ...svc, tid: 13 }, 'mmap', 1210, 20, 25),
];
const spans = spansTable([
  { trace: 't1', span: 'A', type: 'GET /x', op: 'GET /x', service: 'svc', startUs: 1000, endUs: 2000 },
  { trace: 't1', span: 'B', parent: 'A', type: 'GET /x', op: 'async', service: 'svc', startUs: 1200, endUs: 1800 },
]);
const truth = truthTable([
  ['t1', 'A', 'h', 10, 12],
  ['t1', 'B', 'h', 10, 13],
]);

async function signals() {
  const threads = threadSequences(syscallsTable(calls));
  const idle = new Map([['svc', { scorer: ngramScorer([Array(50).fill('futex')], 2) }]]);
  return detectSignals(threads, idle, { threshold: 0.1 });
}

function tids(table: ReturnType<typeof stitchBaseline>): (number | null)[] {
  return table.array('tid') as (number | null)[];
}

test('each baseline picks the thread its rule names', async () => {
  const sig = await signals();
  // overlap: thread 13 makes the most calls inside A and B.
  assert.deepEqual(tids(stitchBaseline('overlap', spans, sig)), [13, 13]);
  // fifo: thread 12's read is A's first signal; B's first is 13's mmap at 1210.
  assert.deepEqual(tids(stitchBaseline('fifo', spans, sig)), [12, 13]);
  // tid-keying: A is keyed to 12 (first receive); B, below it in the same service, stays on 12.
  assert.deepEqual(tids(stitchBaseline('tid-keying', spans, sig)), [12, 12]);
  // local: most signal syscalls inside the span.
  assert.deepEqual(tids(stitchBaseline('local', spans, sig)), [13, 13]);
});

test('random picks only active threads, and the same seed gives the same picks', async () => {
  const sig = await signals();
  for (let seed = 1; seed <= 20; seed++) {
    const a = tids(stitchBaseline('random', spans, sig, { seed }));
    assert.ok(a.every((t) => t === 12 || t === 13), `seed ${seed}: picked an idle thread: ${a}`);
    assert.deepEqual(tids(stitchBaseline('random', spans, sig, { seed })), a);
  }
  const seen = new Set(Array.from({ length: 20 }, (_, i) => tids(stitchBaseline('random', spans, sig, { seed: i + 1 }))[0]));
  assert.equal(seen.size, 2, 'twenty seeds should pick both active threads for A');
});

test('baseline tables evaluate like stitchTraces tables', async () => {
  const sig = await signals();
  const thread = (name: (typeof BASELINES)[number]) => evaluate(stitchBaseline(name, spans, sig), truth).overall.acc_thread;
  assert.equal(thread('fifo'), 1);
  assert.equal(thread('tid-keying'), 0.5);
  assert.equal(thread('overlap'), 0.5);
});

test('a span whose service has no qualifying thread is reported, not guessed', async () => {
  const sig = await signals();
  const lone = spansTable([{ trace: 't2', span: 'C', type: 'GET /y', op: 'GET /y', service: 'svc', startUs: 5000, endUs: 6000 }]);
  for (const name of BASELINES) {
    const t = stitchBaseline(name, lone, sig);
    assert.notEqual(t.get('status', 0), STITCHED, name);
    assert.equal(t.get('tid', 0), null, name);
  }
  assert.throws(() => stitchBaseline('nope' as never, spans, sig), /unknown baseline "nope"/);
});
