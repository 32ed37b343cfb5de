import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as aq from 'arquero';
import { toDanfo } from '../../lib/capture/danfo';
import { loadCapture, type LoadOptions } from '../../lib/capture/load';
import { CaptureError } from '../../lib/capture/problems';
import { SPAN_COLUMNS, SYSCALL_COLUMNS } from '../../lib/capture/types';
import { MANIFEST, writeTinyCapture } from './tiny-capture';

/*
 * Expected times, worked out from tiny-capture.ts. The span clock's first event is node-1's
 * epoll_wait: 1732612344.999999000 on node-1's clock, minus 1500 ns = 1732612344.999997500, so
 * the origin is 1732612344 s. Then:
 *   node-1 (strace, offset -1500):  .999999000 → 999_997_500; 345.000101500 → 1_000_100_000;
 *                                   345.000601500 → 1_000_600_000
 *   node-2 (bpftrace, offset 1732612000 s): 345000200500 → 1_000_200_500 (tids 201 and 202),
 *                                   345000250000 → 1_000_250_000, 345000300000 → 1_000_300_000
 *   spans (µs): 1732612345000100 + 500 → 1_000_100_000..1_000_600_000;
 *               1732612345000200 + 200 → 1_000_200_000..1_000_400_000
 */
const ORIGIN = 1732612344_000000000n;

test('loads a tiny capture: syscalls on the span clock, sorted, joined to services', async () => {
  const progress: { file: string; lines: number }[] = [];
  const c = await loadCapture(await writeTinyCapture(), { onProgress: (p) => progress.push(p) });
  assert.equal(c.originNs, ORIGIN);
  assert.deepEqual(c.syscalls.columnNames(), [...SYSCALL_COLUMNS]);
  assert.deepEqual(c.syscalls.objects(), [
    { ts_ns: 999_997_500, host: 'node-1', pid: 100, tid: 100, comm: '', syscall: 'epoll_wait', ret: 0, dur_ns: 1000, service: 'front', instance: 'front-1' },
    { ts_ns: 1_000_100_000, host: 'node-1', pid: 100, tid: 101, comm: '', syscall: 'read', ret: 23, dur_ns: 3000, service: 'front', instance: 'front-1' },
    // same time on two threads: ordered by tid, though the file has 202 first
    { ts_ns: 1_000_200_500, host: 'node-2', pid: 200, tid: 201, comm: 'java', syscall: 'read', ret: 64, dur_ns: 800, service: 'items', instance: 'items-1' },
    { ts_ns: 1_000_200_500, host: 'node-2', pid: 200, tid: 202, comm: 'GC Thread#0', syscall: 'read', ret: 5, dur_ns: 300, service: 'items', instance: 'items-1' },
    { ts_ns: 1_000_250_000, host: 'node-2', pid: 999, tid: 999, comm: 'stress', syscall: 'poll', ret: 1, dur_ns: null, service: 'unknown', instance: '' },
    { ts_ns: 1_000_300_000, host: 'node-2', pid: 200, tid: 201, comm: 'java', syscall: 'write', ret: 120, dur_ns: 1500, service: 'items', instance: 'items-1' },
    { ts_ns: 1_000_600_000, host: 'node-1', pid: 100, tid: 101, comm: '', syscall: 'write', ret: 17, dur_ns: 4100, service: 'front', instance: 'front-1' },
  ]);
  assert.deepEqual(c.syscallNames, ['epoll_wait', 'poll', 'read', 'write']);
  // pid 999 is not in processes.csv: counted once for its file, with its number of calls
  assert.equal(c.problems.total('pid not in processes.csv'), 1);
  const unknown = c.problems.examples.find((p) => p.reason === 'pid not in processes.csv');
  assert.equal(unknown?.text, 'host node-2 pid 999, syscalls: 1');
  assert.equal(unknown?.file, join(c.dir, 'syscalls/node-2.bpftrace'));
  assert.deepEqual(Object.keys(c.stats), ['syscalls/node-1.strace', 'syscalls/node-2.bpftrace']);
  assert.equal(c.stats['syscalls/node-2.bpftrace'].records, 4);
  assert.ok(c.stats['syscalls/node-2.bpftrace'].outOfOrder > 0);
  assert.deepEqual(progress, [{ file: 'syscalls/node-1.strace', lines: 3 }, { file: 'syscalls/node-2.bpftrace', lines: 5 }]);

  assert.deepEqual(c.spans.columnNames(), [...SPAN_COLUMNS]);
  assert.deepEqual(c.spans.objects(), [
    { trace_id: 'aaaa000000000001', span_id: '0000000000000001', parent_id: '', trace_type: 'GET /orders', operation: 'GET /orders', service: 'front',
      kind: 'server', start_ns: 1_000_100_000, end_ns: 1_000_600_000, host: 'node-1', instance: 'front-1', pid: 100 },
    // process tags give only hostname=items-1: processes.csv has one such process
    { trace_id: 'aaaa000000000001', span_id: '0000000000000002', parent_id: '0000000000000001', trace_type: 'GET /orders', operation: 'GET /items', service: 'items',
      kind: 'server', start_ns: 1_000_200_000, end_ns: 1_000_400_000, host: 'node-2', instance: 'items-1', pid: 200 },
  ]);
  assert.equal(c.processes.numRows(), 2);
  assert.deepEqual(c.truth?.objects()[1], { trace_id: 'aaaa000000000001', span_id: '0000000000000002', host: 'node-2', pid: 200, tid: 201 });
});

test('the dictionary-encoded columns work with arquero verbs', async () => {
  const c = await loadCapture(await writeTinyCapture());
  const reads = c.syscalls.filter((d: { syscall: string }) => d.syscall === 'read');
  assert.deepEqual(reads.array('tid'), [101, 201, 202]);
  const absent = c.syscalls.filter((d: { syscall: string }) => d.syscall === 'openat');
  assert.equal(absent.numRows(), 0);
  const counts = c.syscalls.groupby('syscall').count().orderby('syscall').objects();
  assert.deepEqual(counts, [
    { syscall: 'epoll_wait', count: 1 }, { syscall: 'poll', count: 1 }, { syscall: 'read', count: 3 }, { syscall: 'write', count: 2 },
  ]);
  const perService = c.syscalls.filter((d: { ret: number | null }) => d.ret !== null && d.ret > 20).groupby('service').count().orderby('service').objects();
  assert.deepEqual(perService, [{ service: 'front', count: 1 }, { service: 'items', count: 2 }]);
  const joined = c.syscalls.join(c.processes.select('host', 'pid', 'runtime'), [['host', 'pid'], ['host', 'pid']]).orderby('ts_ns');
  assert.deepEqual(joined.array('runtime'), ['go', 'go', 'java', 'java', 'java', 'go']);
  const reified = c.syscalls.orderby(aq.desc('ts_ns')).reify();
  assert.deepEqual(reified.array('syscall'), ['write', 'write', 'poll', 'read', 'read', 'read', 'epoll_wait']);
});

test('dictionary columns answer comparisons, null checks and verbs as a plain copy of the table does', async () => {
  const c = await loadCapture(await writeTinyCapture());
  const t = c.syscalls;
  const plain = aq.table(Object.fromEntries(t.columnNames().map((name) => [name, Array.from(t.array(name) as ArrayLike<unknown>)])));
  // values the columns hold ('read', 'node-2', '') and values they do not ('openat', 'node-9');
  // arquero rewrites a comparison of a dictionary column with a literal into a key comparison
  const filters = [
    "d => d.syscall === 'read'", "d => d.syscall !== 'read'", "d => d.syscall == 'read'", "d => d.syscall != 'read'",
    "d => d.syscall === 'openat'", "d => d.syscall !== 'openat'", "d => d.syscall == 'openat'", "d => d.syscall != 'openat'",
    "d => 'openat' !== d.comm", "d => op.equal(d.host, 'node-9')", "d => !op.equal(d.host, 'node-2')",
    'd => d.syscall == null', 'd => d.syscall != null', 'd => d.syscall === null', 'd => d.syscall !== null',
    "d => d.instance === ''", "d => d.instance !== '' && d.service !== 'nowhere'", 'd => d.ret === null', 'd => d.dur_ns != null',
  ];
  for (const f of filters) assert.deepEqual(t.filter(f).objects(), plain.filter(f).objects(), f);
  assert.equal(t.filter("d => d.syscall !== 'openat'").numRows(), 7, 'no row holds openat');
  assert.equal(t.filter('d => d.syscall != null').numRows(), 7, 'no row is null');

  const same = (make: (x: typeof t) => typeof t, what: string) => assert.deepEqual(make(t).objects(), make(plain).objects(), what);
  same((x) => x.groupby('syscall').count().orderby('syscall'), 'groupby one column');
  same((x) => x.groupby('host', 'service').count().orderby('host', 'service'), 'groupby two columns');
  same((x) => x.filter((d: { ret: number | null }) => d.ret !== null).groupby('comm').count().orderby('comm'), 'groupby after a filter');
  same((x) => x.join(c.processes.select('host', 'pid', 'runtime'), ['host', 'pid']).orderby('ts_ns', 'tid'), 'join on host and pid');
  same((x) => x.orderby('comm', aq.desc('syscall'), 'ts_ns'), 'orderby');
  same((x) => x.rollup({ syscalls: aq.op.distinct('syscall'), hosts: aq.op.distinct('host') }), 'rollup');
  same((x) => x.derive({ token: (d: { service: string; syscall: string }) => `${d.service}:${d.syscall}` }).select('token'), 'derive');
});

test('window, host and pid filters are applied while reading; the origin stays the same', async () => {
  const dir = await writeTinyCapture();
  // [345.000200000, 345.000300000) on the span clock: node-2's reads and poll; its write at
  // exactly the end is out; node-1's calls (at .0001 and .0006 on the span clock) are out.
  const w = await loadCapture(dir, { window: { startNs: 1732612345_000200000n, endNs: 1732612345_000300000n } });
  // node-1's epoll_wait, filtered out, is still the first event: the origin does not move
  assert.equal(w.originNs, ORIGIN);
  assert.deepEqual(w.syscalls.array('ts_ns'), [1_000_200_500, 1_000_200_500, 1_000_250_000]);
  assert.deepEqual(w.syscalls.array('tid'), [201, 202, 999]);
  assert.equal(w.stats['syscalls/node-1.strace'].filtered, 3);
  assert.equal(w.spans.numRows(), 2);

  const h = await loadCapture(dir, { hosts: ['node-1'] });
  assert.deepEqual([...new Set(h.syscalls.array('host'))], ['node-1']);
  assert.equal(h.syscalls.numRows(), 3);
  // node-2's file is read for its times only: all 4 of its calls are filtered out
  assert.equal(h.stats['syscalls/node-2.bpftrace'].records, 0);
  assert.equal(h.stats['syscalls/node-2.bpftrace'].filtered, 4);
  assert.equal(h.problems.total('pid not in processes.csv'), 0);

  const p = await loadCapture(dir, { pids: [200] });
  assert.deepEqual(p.syscalls.array('pid'), [200, 200, 200]);
  assert.deepEqual(p.syscalls.array('syscall'), ['read', 'read', 'write']);
  assert.equal(p.stats['syscalls/node-1.strace'].filtered, 3);
  assert.equal(p.stats['syscalls/node-2.bpftrace'].filtered, 1);
});

test('a filtered load gives exactly the matching rows of the unfiltered load, at the same ts_ns', async () => {
  const dir = await writeTinyCapture();
  const all = await loadCapture(dir);
  type Row = { ts_ns: number; host: string; pid: number };
  const rows = all.syscalls.objects() as Row[];
  // node-1's epoll_wait at 999_997_500 ns is the first event; each filter below leaves it out
  const cases: { opts: LoadOptions; keep: (r: Row) => boolean }[] = [
    { opts: { window: { startNs: ORIGIN + 1_000_000_000n, endNs: ORIGIN + 1_000_300_000n } }, keep: (r) => r.ts_ns >= 1_000_000_000 && r.ts_ns < 1_000_300_000 },
    { opts: { hosts: ['node-2'] }, keep: (r) => r.host === 'node-2' },
    { opts: { pids: [200, 999] }, keep: (r) => r.pid === 200 || r.pid === 999 },
    { opts: { hosts: ['node-1'], window: { startNs: ORIGIN + 1_000_000_000n, endNs: ORIGIN + 2_000_000_000n } }, keep: (r) => r.host === 'node-1' && r.ts_ns >= 1_000_000_000 },
  ];
  for (const { opts, keep } of cases) {
    const c = await loadCapture(dir, opts);
    const what = JSON.stringify(opts, (_, v) => (typeof v === 'bigint' ? `${v}` : v));
    assert.equal(c.originNs, all.originNs, what);
    const expected = rows.filter(keep);
    assert.ok(expected.length > 0 && expected.length < rows.length, `${what}: the filter keeps some rows, not all`);
    assert.deepEqual(c.syscalls.objects(), expected, what);
    assert.deepEqual(c.spans.objects(), all.spans.objects(), what);
  }
});

test('the pid filter keeps the forked children of a file that names another pid (strace -f -p)', async () => {
  const strace = [
    '100   1732612344.999999000 epoll_wait(4, [], 128, 0) = 0 <0.000001000>',
    '100   1732612345.000050000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0c4a1f2a10) = 150 <0.000020000>',
    '150   1732612345.000201500 execve("/bin/true", ["true"], 0x7ffd6c3f5e08 /* 5 vars */) = 0 <0.000100000>',
    '150   1732612345.000401500 exit_group(0)      = ?',
    '150   1732612345.000402000 +++ exited with 0 +++',
    '',
  ].join('\n');
  const c = await loadCapture(await writeTinyCapture({ strace }), { pids: [150] });
  // the manifest says node-1's file is pid 100's; its fork child 150 is in it all the same
  assert.deepEqual(c.syscalls.select('host', 'pid', 'tid', 'syscall').objects(), [
    { host: 'node-1', pid: 150, tid: 150, syscall: 'execve' },
    { host: 'node-1', pid: 150, tid: 150, syscall: 'exit_group' },
  ]);
  assert.equal(c.stats['syscalls/node-1.strace'].filtered, 2);
});

test('calls whose process the reader cannot tell (pid -1) are counted and get service unknown', async () => {
  const manifest = structuredClone(MANIFEST) as typeof MANIFEST & { syscalls: { pid?: number }[] };
  delete manifest.syscalls[0].pid;
  const c = await loadCapture(await writeTinyCapture({ manifest }));
  // without the manifest's pid, tid 100 is still known as process 100 (processes.csv), but
  // thread 101 was cloned before strace attached: its process is unknown
  const node1 = c.syscalls.filter((d: { host: string }) => d.host === 'node-1').select('tid', 'pid', 'service', 'instance').objects();
  assert.deepEqual(node1, [
    { tid: 100, pid: 100, service: 'front', instance: 'front-1' },
    { tid: 101, pid: -1, service: 'unknown', instance: '' },
    { tid: 101, pid: -1, service: 'unknown', instance: '' },
  ]);
  assert.equal(c.problems.total('process unknown (pid -1)'), 1);
  assert.equal(c.problems.examples.find((p) => p.reason === 'process unknown (pid -1)')?.text, 'host node-1, syscalls: 2');
});

test('a monotonic clock without its offset is caught instead of losing precision', async () => {
  const manifest = structuredClone(MANIFEST);
  manifest.syscalls[1].offsetNs = '0';
  await assert.rejects(loadCapture(await writeTinyCapture({ manifest })), (e: unknown) => {
    assert.ok(e instanceof CaptureError);
    assert.match(e.message, /manifest\.json: expected all events within 104 days.*found events from 1970-01-01T00:05:45\.000Z to 2024-11-26T09:12:25\.000Z/);
    return true;
  });
});

test('truth.csv is optional; a span without process tags has null host, instance and pid', async () => {
  const jaeger = { data: [{ traceID: 't', spans: [{ traceID: 't', spanID: 's', operationName: 'op', references: [], startTime: 1732612345000000, duration: 1, processID: 'p1' }],
    processes: { p1: { serviceName: 'front', tags: [] } } }] };
  const dir = await writeTinyCapture({ jaeger });
  await import('node:fs/promises').then((fs) => fs.rm(join(dir, 'truth.csv')));
  const c = await loadCapture(dir);
  assert.equal(c.truth, null);
  assert.deepEqual(c.spans.select('host', 'instance', 'pid').objects(), [{ host: null, instance: null, pid: null }]);
});

test('a missing processes.csv or trace file is a CaptureError naming it', async () => {
  const manifest = structuredClone(MANIFEST);
  manifest.traces[0].path = 'traces/missing.json';
  await assert.rejects(loadCapture(await writeTinyCapture({ manifest })), /traces\/missing\.json: expected a readable file, found no such file/);
  await assert.rejects(loadCapture(await writeTinyCapture({ processes: 'host,pid\n' })), /processes\.csv:1: expected a header/);
});

const MINI = join(__dirname, '..', 'fixtures', 'capture-mini');

test('loads the recorded mini capture (real strace and Jaeger output)', async () => {
  const c = await loadCapture(MINI);
  const jaeger = JSON.parse(await readFile(join(MINI, 'traces', 'jaeger.json'), 'utf8'));
  const spanCount = jaeger.data.reduce((n: number, t: { spans: unknown[] }) => n + t.spans.length, 0);
  assert.equal(c.spans.numRows(), spanCount);
  assert.ok(c.syscalls.numRows() > 0);
  // every syscall file names its process, so every call belongs to a known service
  assert.equal(c.problems.total('pid not in processes.csv'), 0);
  assert.equal(c.problems.total('process unknown (pid -1)'), 0);
  const ts = c.syscalls.array('ts_ns') as Float64Array;
  for (let i = 1; i < ts.length; i++) assert.ok(ts[i - 1] <= ts[i], `syscalls sorted at row ${i}`);
  assert.ok(ts[0] >= 0 && ts[0] < 1e9 * 60, 'the first syscall is within a minute of the origin');
  assert.ok((c.spans.array('start_ns') as number[]).every((s) => Number.isInteger(s) && s >= 0));
  // every span's process resolves to a row of processes.csv
  const procs = new Set((c.processes.objects() as { host: string; pid: number }[]).map((p) => `${p.host}:${p.pid}`));
  for (const s of c.spans.objects() as { host: string; pid: number }[]) assert.ok(procs.has(`${s.host}:${s.pid}`));
  assert.ok(c.truth !== null && c.truth.numRows() > 0);
});

test('toDanfo gives a DataFrame view of the (filtered) syscalls, nulls kept', async () => {
  const c = await loadCapture(await writeTinyCapture());
  const df = toDanfo(c.syscalls.filter((d: { host: string }) => d.host === 'node-2'));
  assert.deepEqual(df.shape, [4, 10]);
  assert.deepEqual(df.columns, [...SYSCALL_COLUMNS]);
  assert.deepEqual(df.column('tid').values, [201, 202, 999, 201]);
  assert.deepEqual(df.column('syscall').values, ['read', 'read', 'poll', 'write']);
  assert.equal(df.column('dur_ns').values[2], null);
});
