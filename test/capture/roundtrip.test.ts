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
import { MANIFEST, NODE2_OFFSET, PROCESSES, writeTinyCapture } from './tiny-capture';

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

test('two entries without a pid for one host: writeCapture refuses, naming the host and both files, and writes nothing', async () => {
  const manifest = structuredClone(MANIFEST);
  manifest.syscalls.push({ ...manifest.syscalls[1], path: 'syscalls/node-2-more.bpftrace' });
  const a = await loadCapture(await writeTinyCapture({ manifest, files: { 'syscalls/node-2-more.bpftrace': '345000400000 200 203 read 7 100 java\n' } }));
  assert.equal(a.syscalls.numRows(), 8);
  const out = await mkdtemp(join(tmpdir(), 'roundtrip-'));
  await assert.rejects(writeCapture(out, a), (e: unknown) => {
    assert.match(String(e), /node-2 pid 200 \(4 calls\) fit syscalls\/node-2\.bpftrace and syscalls\/node-2-more\.bpftrace/);
    assert.match(String(e), /node-2 pid 999 \(1 calls\) fit syscalls\/node-2\.bpftrace and syscalls\/node-2-more\.bpftrace/);
    return true;
  });
  assert.equal(existsSync(join(out, 'manifest.json')), false, 'nothing written');
});

test('two files for one host: each call goes to the entry naming its pid, else to the one naming none', async () => {
  // node-1: strace of pid 100 (as before) and a host-wide bpftrace file of the other processes
  // (pid 300) that also caught one call of pid 100
  const manifest = structuredClone(MANIFEST) as typeof MANIFEST & { syscalls: { pid?: number }[] };
  manifest.syscalls.push({ host: 'node-1', path: 'syscalls/node-1.bpftrace', format: 'bpftrace', clock: 'monotonic', offsetNs: NODE2_OFFSET });
  const bpftrace = ['345000150000 300 300 openat 3 2000 cron', '345000700000 100 100 futex 0 500 front', '345000800000 300 301 close 0 100 cron', ''].join('\n');
  const processes = `${PROCESSES}node-1,300,cron,cron-1,other\n`;
  const a = await loadCapture(await writeTinyCapture({ manifest, processes, files: { 'syscalls/node-1.bpftrace': bpftrace } }));
  assert.equal(a.syscalls.numRows(), 10);
  const b = await rewrite(a);
  assertSameCapture(a, b);
  // pid 100's calls, the one from the bpftrace file included, are in the strace file of pid 100
  const strace = (await readFile(join(b.dir, 'syscalls/node-1.strace'), 'utf8')).trim().split('\n');
  assert.deepEqual(strace.map((l) => /^(\d+)\S* +\S+ (\w+)\(/.exec(l)?.slice(1).join(' ')), ['100 epoll_wait', '101 read', '101 write', '100 futex']);
  assert.deepEqual((await readFile(join(b.dir, 'syscalls/node-1.bpftrace'), 'utf8')).trim().split('\n').map((l) => l.split(' ')[1]), ['300', '300']);
});

/** node-1's front process without -p: a thread made by clone3, a process forked, and thread 101 whose clone strace did not see. */
const STRACE_WITH_CLONES = [
  '100   1732612344.999999000 epoll_wait(4, [], 128, 0) = 0 <0.000001000>',
  '100   1732612345.000050000 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f1c2a1ff990, parent_tid=0x7f1c2a1ff990, exit_signal=0, stack=0x7f1c299ff000, stack_size=0x7fff80, tls=0x7f1c2a1ff6c0} => {parent_tid=[102]}, 88) = 102 <0.000030000>',
  '102   1732612345.000090000 read(6, "x", 1) = 1 <0.000002000>',
  '100   1732612345.000095000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f1c2a2c0a10) = 150 <0.000020000>',
  '101   1732612345.000101500 read(5, "GET /orders HTTP/1.1\\r\\n", 4096) = 23 <0.000003000>',
  '150   1732612345.000201500 execve("/bin/true", ["true"], 0x7ffd6c3f5e08 /* 5 vars */) = 0 <0.000100000>',
  '101   1732612345.000601500 write(5, "HTTP/1.1 200 OK\\r\\n", 17) = 17 <0.000004100>',
  '',
].join('\n');

test('round trip of strace and perf-trace entries without a manifest pid: the pids the reader worked out come back', async () => {
  const manifest = structuredClone(MANIFEST) as typeof MANIFEST & { syscalls: { pid?: number }[] };
  delete manifest.syscalls[0].pid;
  const a = await loadCapture(await writeTinyCapture({ manifest, strace: STRACE_WITH_CLONES }));
  const node1 = (c: Capture) => c.syscalls.filter((d: { host: string }) => d.host === 'node-1').select('tid', 'pid', 'syscall').objects();
  // 100 is listed in processes.csv; 102 is its thread (CLONE_THREAD); 150 a process of its own
  // (fork); 101's clone came before strace attached, so its process is unknown
  assert.deepEqual(node1(a), [
    { tid: 100, pid: 100, syscall: 'epoll_wait' }, { tid: 100, pid: 100, syscall: 'clone3' }, { tid: 102, pid: 100, syscall: 'read' },
    { tid: 100, pid: 100, syscall: 'clone' }, { tid: 101, pid: -1, syscall: 'read' }, { tid: 150, pid: 150, syscall: 'execve' },
    { tid: 101, pid: -1, syscall: 'write' },
  ]);
  assertSameCapture(a, await rewrite(a));

  // the same calls as a perf-trace file (ms with 6 decimals: exact ns), still without a pid
  const perf = structuredClone(a.manifest);
  perf.syscalls[0] = { ...perf.syscalls[0], path: 'syscalls/node-1.perf-trace', format: 'perf-trace' };
  const p = await rewrite({ ...a, manifest: perf }, 'ns');
  assert.deepEqual(p.syscalls.objects(), a.syscalls.objects());
  assertSameCapture(p, await rewrite(p));
});

test('writeCapture checks every syscall and span field before writing anything', async () => {
  const a = await loadCapture(await writeTinyCapture());
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['dur_ns', { dur_ns: 1.5 }, /syscalls row 0: dur_ns is 1\.5, not null or a non-negative integer/],
    ['dur_ns', { dur_ns: -3 }, /dur_ns is -3/],
    ['ret', { ret: 0.5 }, /ret is 0\.5, not null or an integer/],
    ['ret', { ret: 2 ** 64 }, /ret is 18446744073709552000/],
    ['pid', { pid: 2 ** 31 }, /pid is 2147483648, not -1 \(unknown\) or an id in 0\.\.2\^31-1/],
    ['tid', { tid: -2 }, /tid is -2/],
    ['syscall', { syscall: '0' }, /syscall is "0", not a name/],
    ['ts_ns', { ts_ns: 0.5 }, /ts_ns is 0\.5, not an integer/],
  ];
  for (const [column, change, message] of bad) {
    const syscalls = aq.from(a.syscalls.objects().map((row, i) => (i === 0 ? { ...row, ...change } : row)));
    const out = await mkdtemp(join(tmpdir(), 'roundtrip-bad-'));
    await assert.rejects(writeCapture(out, { ...a, syscalls }), message, column);
    assert.equal(existsSync(join(out, 'manifest.json')), false, `${column}: nothing written`);
  }
  const spans = aq.from(a.spans.objects().map((row, i) => (i === 1 ? { ...(row as object), end_ns: 2.5 } : row)));
  const out = await mkdtemp(join(tmpdir(), 'roundtrip-bad-'));
  await assert.rejects(writeCapture(out, { ...a, spans }), /spans row 1: end_ns is 2\.5/);
  assert.equal(existsSync(join(out, 'manifest.json')), false, 'span: nothing written');
});
