import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVICES, simulate, type SimCapture } from '../../lib/sim';

type Span = { trace_id: string; trace_type: string; service: string; kind: string; parent_id: string; start_ns: number; end_ns: number; pid: number };
const spansOf = (c: SimCapture) => c.spans.objects() as Span[];

/** Each trace's [first start, last end], by start. */
function extents(c: SimCapture): [number, number][] {
  const m = new Map<string, [number, number]>();
  for (const s of spansOf(c)) {
    const e = m.get(s.trace_id);
    m.set(s.trace_id, e === undefined ? [s.start_ns, s.end_ns] : [Math.min(e[0], s.start_ns), Math.max(e[1], s.end_ns)]);
  }
  return [...m.values()].sort((a, b) => a[0] - b[0]);
}

const overlapping = (ext: [number, number][]) => ext.some(([, end], i) => i + 1 < ext.length && ext[i + 1][0] < end);

test('idle: every service makes syscalls, no spans', () => {
  const c = simulate({ mode: 'idle', durationS: 4, seed: 51 });
  assert.equal(c.spans.numRows(), 0);
  assert.equal(c.truth.numRows(), 0);
  const services = new Set(c.syscalls.array('service') as Iterable<string>);
  assert.deepEqual([...services].sort(), SERVICES.map((s) => s.name).sort());
  assert.equal(c.manifest.mode, 'idle');
  assert.equal(c.manifest.name, 'sockshop-sim-idle');
});

test('isolated: the requested number of traces, one at a time', () => {
  for (const traceType of ['GET /catalogue/{id}', 'POST /orders', 'GET /health']) {
    const c = simulate({ mode: 'isolated', traceType, instances: 6, seed: 52 });
    const ext = extents(c);
    assert.equal(ext.length, 6, traceType);
    assert.ok(!overlapping(ext), `${traceType}: traces overlap`);
    assert.ok(spansOf(c).every((s) => s.trace_type === traceType));
  }
});

test('isolated GET /health goes to the health services, and only their /health is traced', () => {
  const c = simulate({ mode: 'isolated', traceType: 'GET /health', instances: 12, seed: 53 });
  const services = new Set(spansOf(c).map((s) => s.service));
  assert.deepEqual([...services].sort(), ['catalogue', 'payment', 'user']);
  assert.ok(spansOf(c).every((s) => s.parent_id === ''), 'health traces are a single span');
});

test('live at concurrency 2: traces overlap, at most two requests at a time, on different threads and replicas', () => {
  const c = simulate({ mode: 'live', durationS: 2, seed: 54 });
  const spans = spansOf(c);
  assert.ok(overlapping(extents(c)));
  const roots = spans.filter((s) => s.parent_id === '' && s.service === 'front-end').sort((a, b) => a.start_ns - b.start_ns);
  // never three front-end requests open at once
  for (let i = 2; i < roots.length; i++) assert.ok(roots[i].start_ns >= Math.min(roots[i - 1].end_ns, roots[i - 2].end_ns));
  assert.ok(new Set(spans.map((s) => s.trace_type)).has('GET /health'), 'probes start GET /health traces in live captures');
  const truth = new Map((c.truth.objects() as { span_id: string; tid: number }[]).map((t) => [t.span_id, t.tid]));
  const user = (c.spans.objects() as (Span & { span_id: string })[]).filter((s) => s.service === 'user' && s.kind === 'server');
  let sameProcessOtherThread = false;
  let otherReplica = false;
  for (const a of user) {
    for (const b of user) {
      if (a.trace_id === b.trace_id || !(a.start_ns < b.end_ns && b.start_ns < a.end_ns)) continue;
      if (a.pid !== b.pid) otherReplica = true;
      else if (truth.get(a.span_id) !== truth.get(b.span_id)) sameProcessOtherThread = true;
    }
  }
  assert.ok(otherReplica && sameProcessOtherThread, 'two traces in user at once, on two replicas and on two threads of one');
});

test('live at concurrency 1: requests never overlap', () => {
  const c = simulate({ mode: 'live', durationS: 1, seed: 55, concurrency: 1, traceProbes: false });
  assert.ok(extents(c).length > 20);
  assert.ok(!overlapping(extents(c)));
});

test('knobs: dropped syscalls, skew, replicas and hosts', () => {
  const base = simulate({ mode: 'idle', durationS: 2, seed: 56, skewUs: 0 });
  const dropped = simulate({ mode: 'idle', durationS: 2, seed: 56, skewUs: 0, dropRate: 0.2 });
  const kept = dropped.syscalls.numRows() / base.syscalls.numRows();
  assert.ok(kept > 0.75 && kept < 0.85, `kept ${kept}`);
  const skewed = simulate({ mode: 'idle', durationS: 2, seed: 56, skewUs: 80 });
  // the same calls, each host's shifted by one constant within ±80 µs
  assert.equal(skewed.syscalls.numRows(), base.syscalls.numRows());
  const byHost = (c: SimCapture) => {
    const m = new Map<string, number[]>();
    const [t, h] = [c.syscalls.getter('ts_ns'), c.syscalls.getter('host')];
    for (let r = 0; r < c.syscalls.numRows(); r++) {
      const list = m.get(h(r));
      if (list === undefined) m.set(h(r), [t(r)]);
      else list.push(t(r));
    }
    return m;
  };
  const shifted = byHost(skewed);
  for (const [h, times] of byHost(base)) {
    const d = new Set(times.map((t, i) => (shifted.get(h) as number[])[i] - t));
    assert.equal(d.size, 1, `${h}: one offset`);
    assert.ok(Math.abs([...d][0]) <= 80_000);
  }
  const small = simulate({ mode: 'idle', durationS: 1, seed: 57, replicas: 1, hosts: 2 });
  assert.equal(small.processes.numRows(), 14);
  assert.deepEqual([...new Set(small.processes.array('host') as Iterable<string>)].sort(), ['node-1', 'node-2']);
});

test('noise scales the idle background: twice the routines at noise 2, none of them at noise 0', () => {
  const rate = (noise: number) => simulate({ mode: 'idle', durationS: 3, seed: 58, noise }).syscalls.numRows() / 3;
  const [none, one, two] = [rate(0), rate(1), rate(2)];
  // what remains at noise 0 is traffic and its timers: probes, pollers' timeouts, safepoint checks
  assert.ok(none < 0.5 * one, `noise 0: ${none}/s vs ${one}/s`);
  assert.ok(two > 1.5 * one && two < 2 * one, `noise 2: ${two}/s vs ${one}/s`);
});
