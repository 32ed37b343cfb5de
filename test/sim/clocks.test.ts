import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../../lib/sim';
import { callsByThread, spansOf, truthOf, within, paramOf } from './helpers';

test('a span and its own thread\'s syscalls are on the same host clock: no slack needed, whatever the skew', () => {
  // strace stamps with the host's realtime clock, the clock its tracer stamps spans with
  const c = simulate({ mode: 'live', durationS: 1, seed: 61, skewUs: 400, syscallFormat: 'strace', storageSpans: 'data' });
  const skews = Object.values(paramOf(c, 'hostSkewNs') as Record<string, number>);
  assert.ok(Math.max(...skews) - Math.min(...skews) > 100_000, `hosts' skews differ: ${skews}`);
  const calls = callsByThread(c);
  const truth = truthOf(c);
  for (const s of spansOf(c)) {
    const mine = within(calls.get(truth.get(s.span_id) as string) ?? [], s.start_ns, s.end_ns);
    assert.ok(mine.length > 0, `${s.service} ${s.operation}: its thread has no syscall inside [${s.start_ns}, ${s.end_ns}]`);
  }
});

test('parent and child spans on different hosts disagree by their hosts\' skews', () => {
  const c = simulate({ mode: 'isolated', traceType: 'GET /login', instances: 6, seed: 62, skewUs: 3000 });
  const skew = paramOf(c, 'hostSkewNs') as Record<string, number>;
  const spans = spansOf(c);
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  let crossHost = 0;
  let rawOutside = 0;
  for (const child of spans) {
    const parent = byId.get(child.parent_id);
    if (parent === undefined || parent.host === child.host) continue;
    crossHost++;
    // on true time (each span less its host's skew) the child lies inside its parent, within the µs rounding
    const [cs, ce] = [child.start_ns - skew[child.host], child.end_ns - skew[child.host]];
    const [ps, pe] = [parent.start_ns - skew[parent.host], parent.end_ns - skew[parent.host]];
    assert.ok(cs >= ps - 1000 && ce <= pe + 1000, `${child.operation} [${cs}, ${ce}] outside ${parent.operation} [${ps}, ${pe}] on true time`);
    if (child.start_ns < parent.start_ns || child.end_ns > parent.end_ns) rawOutside++;
  }
  assert.ok(crossHost >= 6, `cross-host parent/child pairs: ${crossHost}`);
  assert.ok(rawOutside > 0, 'with ±3 ms host skews some children lie outside their parents as reported');
});

test('bpftrace files carry a small per-host offset error on top of the host skew, recorded in the manifest', () => {
  const base = { mode: 'idle', durationS: 1, seed: 63, skewUs: 50 } as const;
  const strace = simulate({ ...base, syscallFormat: 'strace' });
  const bpf = simulate({ ...base, syscallFormat: 'bpftrace' });
  const err = paramOf(bpf, 'offsetErrorNs') as Record<string, number>;
  assert.deepEqual(Object.values(paramOf(strace, 'offsetErrorNs') as Record<string, number>), [0, 0, 0]);
  assert.ok(Object.values(err).every((e) => Math.abs(e) <= 2000) && Object.values(err).some((e) => e !== 0));
  // the same calls; each host's bpftrace stamps = its strace stamps + that host's offset error
  const [a, b] = [strace, bpf].map((c) => c.syscalls.objects() as { ts_ns: number; host: string; tid: number }[]);
  const key = (r: { host: string; tid: number }, i: number) => `${r.host}/${r.tid}/${i}`;
  const index = (rows: typeof a) => {
    const seen = new Map<string, number>();
    const m = new Map<string, number>();
    for (const r of rows) {
      const k = `${r.host}/${r.tid}`;
      const i = seen.get(k) ?? 0;
      seen.set(k, i + 1);
      m.set(key(r, i), r.ts_ns);
    }
    return m;
  };
  const [ia, ib] = [index(a), index(b)];
  assert.equal(ia.size, ib.size);
  for (const [k, t] of ia) assert.equal((ib.get(k) as number) - t, err[k.split('/')[0]], k);
});
