import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { files } from './helpers';
import { loadCapture } from '../../lib/capture';
import type { Table } from '../../lib/capture';
import { writeSimulatedCapture, type SimOptions } from '../../lib/sim';

async function withDirs(n: number, fn: (dirs: string[]) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'sim-capture-'));
  try {
    await fn(Array.from({ length: n }, (_, i) => join(root, `c${i}`)));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

// a live capture in strace + OTLP and an isolated one in bpftrace + Jaeger cover both writers
const LIVE: SimOptions = { mode: 'live', durationS: 1, seed: 11, syscallFormat: 'strace', traceFormat: 'otlp' };
const ISOLATED: SimOptions = { mode: 'isolated', traceType: 'POST /orders', instances: 2, seed: 11 };

test('the same seed writes the same bytes, a different seed different ones', async () => {
  await withDirs(3, async ([a, b, c]) => {
    await writeSimulatedCapture(a, LIVE);
    await writeSimulatedCapture(b, LIVE);
    await writeSimulatedCapture(c, { ...LIVE, seed: 12 });
    const fa = await files(a);
    const fb = await files(b);
    assert.deepEqual([...fa.keys()].sort(), [...fb.keys()].sort());
    for (const [name, bytes] of fa) assert.ok(bytes.equals(fb.get(name) as Buffer), `${name} differs between two runs with seed 11`);
    const fc = await files(c);
    const same = [...fa].filter(([name, bytes]) => fc.get(name)?.equals(bytes) === true).map(([name]) => name);
    assert.ok(!same.includes('truth.csv') && !same.includes('traces/sim-otlp.json'), `seed 12 repeated ${same.join(', ')}`);
  });
});

function rows(t: Table, cols: readonly string[]): string[] {
  const get = cols.map((c) => t.getter(c));
  const out: string[] = [];
  for (let r = 0; r < t.numRows(); r++) out.push(JSON.stringify(get.map((g) => g(r))));
  return out;
}

for (const opts of [LIVE, ISOLATED]) {
  test(`${opts.mode === 'live' ? 'a' : 'an'} ${opts.mode} capture (${opts.syscallFormat ?? 'bpftrace'}) loads with no problems into the same tables`, async () => {
    await withDirs(1, async ([dir]) => {
      const sim = await writeSimulatedCapture(dir, opts);
      const cap = await loadCapture(dir);
      assert.deepEqual(cap.problems.summary(), []);
      assert.equal(cap.originNs, sim.originNs);
      assert.equal(cap.manifest.source, 'simulated');
      assert.match(cap.manifest.name, /^sockshop-sim-/);
      const syscallCols = ['ts_ns', 'host', 'pid', 'tid', 'comm', 'syscall', 'ret', 'dur_ns', 'service', 'instance'];
      assert.ok(sim.syscalls.numRows() > 1000);
      assert.deepEqual(rows(cap.syscalls, syscallCols), rows(sim.syscalls, syscallCols));
      const spanCols = ['trace_id', 'span_id', 'parent_id', 'trace_type', 'operation', 'service', 'kind', 'start_ns', 'end_ns', 'host', 'instance', 'pid'];
      assert.ok(sim.spans.numRows() > 10);
      assert.deepEqual(rows(cap.spans, spanCols), rows(sim.spans, spanCols));
      assert.deepEqual(rows(cap.truth as Table, ['trace_id', 'span_id', 'host', 'pid', 'tid']), rows(sim.truth, ['trace_id', 'span_id', 'host', 'pid', 'tid']));
      assert.deepEqual(rows(cap.processes, ['host', 'pid', 'service', 'instance', 'runtime']), rows(sim.processes, ['host', 'pid', 'service', 'instance', 'runtime']));
    });
  });
}

test('the manifest records the mode, the seed and every knob', async () => {
  await withDirs(1, async ([dir]) => {
    await writeSimulatedCapture(dir, { ...ISOLATED, skewUs: 7, dropRate: 0.01 });
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    assert.equal(m.mode, 'isolated');
    assert.equal(m.generator.tool, 'deepstitch-kit/sim');
    assert.equal(m.generator.seed, 11);
    for (const knob of ['noise', 'skewUs', 'concurrency', 'replicas', 'dropRate', 'durationS', 'instances', 'hosts', 'traceType', 'storageSpans']) {
      assert.ok(knob in m.generator.params, `params lacks ${knob}`);
    }
    assert.equal(m.generator.params.skewUs, 7);
    // bpftrace files are on the boot clock: offsets are epoch-sized strings of digits
    for (const e of m.syscalls) {
      assert.equal(e.clock, 'monotonic');
      assert.match(e.offsetNs, /^17\d{17}$/);
      assert.match(e.path, /sim-/);
    }
  });
});
