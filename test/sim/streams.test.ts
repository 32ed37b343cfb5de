import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, type SimCapture, type SimOptions } from '../../lib/sim';
import { callsByThread } from './helpers';

const traceIds = (c: SimCapture) => new Set(c.spans.array('trace_id') as Iterable<string>);

test('captures that differ in one workload option share no trace id', () => {
  const base: SimOptions = { mode: 'live', durationS: 1, seed: 81 };
  const ids = traceIds(simulate(base));
  assert.ok(ids.size > 20);
  for (const other of [{ durationS: 1.2 }, { concurrency: 3 }, { name: 'another' }, { mix: { 'GET /orders': 1 } }]) {
    const shared = [...traceIds(simulate({ ...base, ...other }))].filter((id) => ids.has(id));
    assert.deepEqual(shared, [], JSON.stringify(other));
  }
  const iso = (traceType: string, instances: number) => traceIds(simulate({ mode: 'isolated', traceType, instances, seed: 81 }));
  const a = iso('GET /orders', 4);
  assert.deepEqual([...iso('GET /orders', 5)].filter((id) => a.has(id)), []);
});

/** Every run of 20 consecutive calls of a thread, as names with their drawn durations. */
function runs(c: SimCapture): Set<string> {
  const out = new Set<string>();
  for (const [thread, calls] of callsByThread(c)) {
    const keys = calls.map((r) => `${r.syscall}:${r.dur_ns}`);
    for (let i = 0; i + 20 <= keys.length; i++) out.add(`${thread}|${keys.slice(i, i + 20).join(' ')}`);
  }
  return out;
}

test('the idle and an isolated capture of one deployment repeat no run of 20 syscalls of a thread', () => {
  // durations are drawn in ns: a repeated run of 20 means a repeated random stream, not a repeated routine
  const idle = runs(simulate({ mode: 'idle', durationS: 2, seed: 82 }));
  const isolated = runs(simulate({ mode: 'isolated', traceType: 'GET /health', instances: 20, seed: 82 }));
  assert.ok(idle.size > 300 && isolated.size > 300, `${idle.size} ${isolated.size}`);
  assert.equal([...isolated].filter((r) => idle.has(r)).length, 0);
  // the deployment is the same: pods, pids and threads
  const procs = (opts: SimOptions) => simulate(opts).procs.map((p) => `${p.host}/${p.pid}/${p.instance}`);
  assert.deepEqual(procs({ mode: 'idle', durationS: 0.1, seed: 82 }), procs({ mode: 'live', durationS: 0.1, seed: 82 }));
});
