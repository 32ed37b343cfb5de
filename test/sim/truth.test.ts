import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paramOf } from './helpers';
import { simulate, type SimCapture, type SimOptions } from '../../lib/sim';

/** Sorted syscall times per (host, tid). */
function timesByThread(c: SimCapture): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const [ts, host, tid] = ['ts_ns', 'host', 'tid'].map((k) => c.syscalls.getter(k));
  for (let r = 0; r < c.syscalls.numRows(); r++) {
    const key = `${host(r)}/${tid(r)}`;
    let list = out.get(key);
    if (list === undefined) out.set(key, (list = []));
    list.push(ts(r));
  }
  return out;
}

function anyWithin(sorted: readonly number[], lo: number, hi: number): boolean {
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (sorted[m] < lo) a = m + 1;
    else b = m;
  }
  return a < sorted.length && sorted[a] <= hi;
}

/**
 * Spans and syscalls of one host carry its clock; a bpftrace file's offset estimate adds its
 * error (manifest params.offsetErrorNs) to the syscalls only: take it off, then check strictly.
 */
function checkTruth(c: SimCapture): void {
  const spans = c.spans.objects() as { trace_id: string; span_id: string; start_ns: number; end_ns: number; host: string; pid: number }[];
  const truth = new Map((c.truth.objects() as { trace_id: string; span_id: string; host: string; pid: number; tid: number }[]).map((t) => [`${t.trace_id}/${t.span_id}`, t]));
  assert.equal(truth.size, spans.length, 'one truth row per span');
  const times = timesByThread(c);
  const offsetError = paramOf(c, 'offsetErrorNs') as Record<string, number>;
  for (const s of spans) {
    const t = truth.get(`${s.trace_id}/${s.span_id}`);
    assert.ok(t !== undefined, `span ${s.span_id} has no truth row`);
    assert.equal(`${t.host}/${t.pid}`, `${s.host}/${s.pid}`, `span ${s.span_id}: the truth thread is in the span's process`);
    const mine = times.get(`${t.host}/${t.tid}`) ?? [];
    const err = offsetError[t.host];
    assert.ok(anyWithin(mine, s.start_ns + err, s.end_ns + err), `span ${s.span_id}: thread ${t.tid} has no syscall in [${s.start_ns}, ${s.end_ns}]`);
  }
}

const cases: [string, SimOptions][] = [
  ['live at concurrency 2', { mode: 'live', durationS: 2, seed: 21 }],
  ['live with a large skew and spans on every storage service', { mode: 'live', durationS: 1, seed: 22, skewUs: 400, storageSpans: 'all' }],
  ...['GET /orders', 'GET /catalogue/{id}', 'GET /customers', 'GET /login', 'GET /health', 'POST /orders'].map(
    (traceType) => [`isolated ${traceType}`, { mode: 'isolated', traceType, instances: 3, seed: 23 }] as [string, SimOptions],
  ),
];

for (const [name, opts] of cases) {
  test(`${name}: every span's truth thread makes syscalls inside the span`, () => {
    const c = simulate(opts);
    assert.ok(c.spans.numRows() > 0);
    checkTruth(c);
  });
}

test('span times are whole µs and syscall times whole ns, within the capture; every call has a result', () => {
  const c = simulate({ mode: 'live', durationS: 1, seed: 24, mix: 'locustfile' });
  for (const col of ['start_ns', 'end_ns']) {
    for (const v of c.spans.array(col) as Iterable<number>) assert.equal(v % 1000, 0, `${col} ${v}`);
  }
  const ts = c.syscalls.array('ts_ns') as Float64Array;
  assert.ok(ts.every((v) => Number.isInteger(v) && v > 0 && v < 2e9));
  // every call has a result and a duration, except exit, which never returns
  const [name, ret, dur] = ['syscall', 'ret', 'dur_ns'].map((k) => c.syscalls.getter(k));
  for (let r = 0; r < c.syscalls.numRows(); r++) {
    if (name(r) === 'exit') continue;
    assert.ok(Number.isInteger(ret(r)) && Number.isInteger(dur(r)) && dur(r) > 0, `row ${r}: ${name(r)} = ${ret(r)} <${dur(r)}>`);
  }
  const starts = c.spans.array('start_ns') as Float64Array;
  const ends = c.spans.array('end_ns') as Float64Array;
  assert.ok(starts.every((s, i) => s < ends[i]));
});
