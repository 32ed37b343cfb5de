import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as aq from 'arquero';
import { loadCapture, type Capture } from '../../lib/capture/load';
import { writeCapture } from '../../lib/capture/write';
import type { Manifest } from '../../lib/capture/types';
import { MANIFEST, writeTinyCapture } from './tiny-capture';

async function rewrite(c: Capture, precision?: 'us' | 'ns'): Promise<Capture> {
  const out = await mkdtemp(join(tmpdir(), 'roundtrip-'));
  await writeCapture(out, c, { precision });
  return loadCapture(out);
}

function assertSameCapture(a: Capture, b: Capture): void {
  assert.equal(b.originNs, a.originNs);
  assert.deepEqual(b.manifest, a.manifest);
  assert.deepEqual(b.spans.objects(), a.spans.objects());
  assert.deepEqual(b.syscalls.objects(), a.syscalls.objects());
  assert.deepEqual(b.processes.objects(), a.processes.objects());
  assert.deepEqual(b.truth?.objects(), a.truth?.objects());
  assert.deepEqual(b.syscallNames, a.syscallNames);
  // Lines the readers skipped (a bpftrace banner) are not written back; the join problems are.
  for (const reason of ['pid not in processes.csv', 'process unknown (pid -1)']) assert.equal(b.problems.total(reason), a.problems.total(reason));
}

test('round trip with Jaeger traces: load, write, load gives the same tables', async () => {
  const a = await loadCapture(await writeTinyCapture());
  const b = await rewrite(a);
  assertSameCapture(a, b);
  assert.deepEqual(b.problems.summary().map((l) => l.slice(b.dir.length + 1)), ['syscalls/node-2.bpftrace: pid not in processes.csv: 1']);
  // the strace file is written back on its own clock (offset -1500 ns): its first call is at
  // 1732612344.999999000 again, not at the span-clock time
  assert.match(await readFile(join(b.dir, 'syscalls/node-1.strace'), 'utf8'), /^100 +1732612344\.999999000 epoll_wait\(\) = 0 <0\.000001000>/);
  // the bpftrace file is back on boot time: span clock minus 1732612000 s
  assert.match(await readFile(join(b.dir, 'syscalls/node-2.bpftrace'), 'utf8'), /^345000200500 200 201 read 64 800 java$/m);
});

test('round trip with OTLP traces keeps ns span times', async () => {
  const dir = await writeTinyCapture({
    manifest: { ...MANIFEST, traces: [{ path: 'traces/otlp.json', format: 'otlp' }] },
    processes: 'host,pid,service,instance,runtime\nnode-1,100,front,front-1,go\nnode-2,200,items,items-1,java\nnode-1,4242,front,front-7d9f-abcde,go\n',
  });
  await copyFile(join(__dirname, '..', 'fixtures', 'otlp', 'two-services.json'), join(dir, 'traces', 'otlp.json'));
  const a = await loadCapture(dir);
  // 1732612345.123456789 from the origin 1732612344 s: ns digits survive
  assert.equal(a.spans.get('start_ns', 0), 1_123_456_789);
  assert.equal(a.spans.get('host', 0), 'node-1');
  const b = await rewrite(a);
  assertSameCapture(a, b);
});

test('µs precision truncates the strace times and durations, and nothing else', async () => {
  const a = await loadCapture(await writeTinyCapture());
  const b = await rewrite(a, 'us');
  const n1 = (c: Capture) => c.syscalls.filter((d: { host: string }) => d.host === 'node-1');
  // node-1's calls at file-clock .999999000, .000101500, .000601500 cut to µs: the last two
  // lose 500 ns, then the -1500 ns offset applies; durations 1000, 3000, 4100 → 1000, 3000, 4000
  assert.deepEqual(n1(b).array('ts_ns'), [999_997_500, 1_000_099_500, 1_000_599_500]);
  assert.deepEqual(n1(b).array('dur_ns'), [1000, 3000, 4000]);
  const n2 = (c: Capture) => c.syscalls.filter((d: { host: string }) => d.host === 'node-2').objects();
  assert.deepEqual(n2(b), n2(a));
});

test('writeCapture takes plain tables (as the simulator builds them) and loadCapture reads them back', async () => {
  const manifest: Manifest = {
    format: 'deepstitch-capture/1', name: 'sim', source: 'simulated', mode: 'isolated', app: 'toy', createdAt: '2026-11-26T07:00:00Z',
    generator: { tool: 'test', version: '1', seed: 3 },
    traces: [{ path: 'traces/jaeger.json', format: 'jaeger' }],
    syscalls: [{ host: 'h', path: 'syscalls/h.csv', format: 'csv', clock: 'monotonic', offsetNs: 1795681581439567956n }],
  };
  const originNs = 1795681600_000000000n;
  const spans = aq.table({
    trace_id: ['t'], span_id: ['s'], parent_id: [''], trace_type: ['GET /'], operation: ['GET /'], service: ['web'], kind: ['server'],
    start_ns: [2_000_000], end_ns: [9_000_000], host: ['h'], instance: ['web-0'], pid: [7],
  });
  const syscalls = aq.table({
    ts_ns: [2_000_500, 8_999_999], host: ['h', 'h'], pid: [7, 7], tid: [8, 8], comm: ['web', 'web'], syscall: ['read', 'write'],
    ret: [10, null], dur_ns: [null, 250], service: ['web', 'web'], instance: ['web-0', 'web-0'],
  });
  const processes = aq.table({ host: ['h'], pid: [7], service: ['web'], instance: ['web-0'], runtime: ['node'] });
  const dir = await mkdtemp(join(tmpdir(), 'sim-'));
  await writeCapture(dir, { manifest, originNs, spans, syscalls, processes, truth: null });
  // the csv file is on the monotonic clock: origin - offset + ts = 1795681600e9 - 1795681581439567956
  // + 2000500 = 18560432044 + 2000500
  const csv = await readFile(join(dir, 'syscalls/h.csv'), 'utf8');
  assert.match(csv, /^18562432544,7,8,web,read,10,$/m);
  assert.equal(existsSync(join(dir, 'truth.csv')), false);
  const c = await loadCapture(dir);
  assert.equal(c.originNs, originNs);
  assert.deepEqual(c.spans.objects(), spans.objects());
  assert.deepEqual(c.syscalls.objects(), syscalls.objects());
  assert.equal(c.truth, null);
});

test('writeCapture refuses syscalls that no manifest entry takes', async () => {
  const c = await loadCapture(await writeTinyCapture());
  const manifest = { ...c.manifest, syscalls: c.manifest.syscalls.slice(0, 1) };
  const out = await mkdtemp(join(tmpdir(), 'roundtrip-'));
  await assert.rejects(writeCapture(out, { ...c, manifest }), /syscalls of node-2 pid 200 \(3 calls\), node-2 pid 999 \(1 calls\) match no manifest\.syscalls entry/);
  assert.equal(existsSync(join(out, 'manifest.json')), false, 'nothing written');
});

const MINI = join(__dirname, '..', 'fixtures', 'capture-mini');

test('round trip of the recorded mini capture', async () => {
  const a = await loadCapture(MINI);
  assertSameCapture(a, await rewrite(a));
});
