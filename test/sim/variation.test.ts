import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, type SimCapture } from '../../lib/sim';
import { callsByThread, spansOf, truthOf, within } from './helpers';

/** Per (service, operation): the syscall-name sequences the serving thread made inside each span. */
function sequences(c: SimCapture): Map<string, string[]> {
  const calls = callsByThread(c);
  const truth = truthOf(c);
  const runtime = new Map(c.procs.map((p) => [p.service, p.runtime]));
  const out = new Map<string, string[]>();
  for (const s of spansOf(c)) {
    const key = `${runtime.get(s.service)}|${s.service} ${s.operation}`;
    const seq = within(calls.get(truth.get(s.span_id) as string) ?? [], s.start_ns, s.end_ns).map((r) => r.syscall).join(',');
    out.set(key, [...(out.get(key) ?? []), seq]);
  }
  return out;
}

// strace: the same clock for spans and syscalls (no bpftrace offset error at the span edges)
const captures = ['GET /catalogue/{id}', 'GET /orders', 'GET /login'].map((traceType) =>
  simulate({ mode: 'isolated', traceType, instances: 20, seed: 71, storageSpans: 'data', syscallFormat: 'strace' }));
const all = new Map(captures.flatMap((c) => [...sequences(c)]));

test('handlers are stochastic templates: more than one syscall sequence per operation, in every runtime', () => {
  // per runtime: spans, and spans whose operation's most common sequence they have
  const share = new Map<string, [number, number]>();
  for (const [key, seqs] of all) {
    if (seqs.length < 10) continue;
    const rt = key.split('|')[0];
    assert.ok(new Set(seqs).size > 1, `${key}: one sequence over ${seqs.length} spans`);
    const top = Math.max(...[...new Set(seqs)].map((q) => seqs.filter((x) => x === q).length));
    const [n, t] = share.get(rt) ?? [0, 0];
    share.set(rt, [n + seqs.length, t + top]);
  }
  assert.deepEqual([...share.keys()].sort(), ['go', 'java', 'mongodb', 'mysql', 'node']);
  // no runtime's handlers are mostly one fixed string
  for (const [rt, [n, top]] of share) assert.ok(top / n < 0.85, `${rt}: ${top} of ${n} spans have their operation's most common sequence`);
});

test('a database span covers reading the command, processing it and the reply: two syscalls or more', () => {
  let n = 0;
  for (const [key, seqs] of all) {
    if (!/^(mongodb|mysql)\|/.test(key)) continue;
    for (const seq of seqs) {
      n++;
      const calls = seq === '' ? [] : seq.split(',');
      assert.ok(calls.length >= 2, `${key}: ${seq}`);
      // the command is read first; the reply is in the span (the next command's read may start at its last µs)
      assert.ok(calls[0] === 'recvfrom' && calls.some((x) => x === 'sendmsg' || x === 'sendto'), `${key}: ${seq}`);
    }
  }
  assert.ok(n >= 20 * 5, `database spans: ${n}`);
});

test('partial reads: a large reply is read in several calls some of the time, in one at others', () => {
  // GET /catalogue (~7 KB from MySQL) read by the Go driver through a 4 KB buffer
  const c = simulate({ mode: 'isolated', traceType: 'GET /catalogue', instances: 20, seed: 72, syscallFormat: 'strace' });
  const perSpan = [...sequences(c)].find(([k]) => k.startsWith('go|'))?.[1] ?? [];
  assert.equal(perSpan.length, 20);
  const eagain = perSpan.map((q) => q.split(',').filter((x) => x === 'read').length);
  assert.ok(new Set(eagain).size > 1, `read counts per span: ${eagain}`);
});

test('noise 0 removes the optional calls: fewer distinct sequences than noise 1', () => {
  const quiet = simulate({ mode: 'isolated', traceType: 'GET /orders', instances: 20, seed: 71, storageSpans: 'data', syscallFormat: 'strace', noise: 0 });
  const loud = captures[1];
  const distinct = (c: SimCapture) => [...sequences(c).values()].reduce((a, s) => a + new Set(s).size, 0);
  assert.ok(distinct(quiet) < distinct(loud), `${distinct(quiet)} vs ${distinct(loud)}`);
});
