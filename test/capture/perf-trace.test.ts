/**
 * perf trace reader and writer. Input lines are copied from `perf trace -T` (perf 6.1) runs on
 * this machine, trimmed where noted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PERF_SKIP } from '../../lib/capture/perf-trace';
import { ProblemLog } from '../../lib/capture/problems';
import { readSyscallFile, type ReadSyscallsOptions } from '../../lib/capture/syscalls';
import type { RawSyscall } from '../../lib/capture/types';
import { assertOneCallAtATime, readContent, REAL_FIXTURES, roundTrip, sampleRecords, truncateToUs } from './syscall-helpers';

const read = (text: string, opts: Partial<ReadSyscallsOptions> = {}) => readContent(text, 'perf-trace', opts);
const byTime = (a: RawSyscall, b: RawSyscall) => a.sec - b.sec || a.nsec - b.nsec;

test('perf trace -T lines: ms timestamps and durations to exact ns, COMM/TID with spaces, results', async () => {
  const { records, problems } = await read(
    [
      '5550201.422 ( 0.039 ms): threads/12925 clone3(uargs: 0x7fffa81810d0, size: 88)                               = 12930',
      '5550201.485 ( 0.002 ms): worker 1/12928 prctl(option: SET_NAME, arg2: 0x7fb738d61d70)                         = 0',
      '5069355.265 ( 0.003 ms): python3/7135 futex(uaddr: 0xa5b8f4, op: WAIT_BITSET|PRIVATE_FLAG, utime: 0x7fba03ffe690, val3: MATCH_ANY) = -1 EAGAIN (Resource temporarily unavailable)',
      '5069298.627 ( 0.002 ms): python3/7132 brk()                                                                 = 0xead1000',
      '5591525.412 ( 0.514 ms): python3/13508 clone(clone_flags: CHILD_CLEARTID|CHILD_SETTID|0x11, child_tidptr: 0x7f7d71eb3590) = 13509 (python3)',
      '5069334.514 (10.211 ms): python3/7133  ... [continued]: clock_nanosleep())                                  = 0',
      '5550687.764 (         ): threads/12925 exit_group()                                                          = ?',
    ].join('\n'),
  );
  assert.equal(problems.total(), 0);
  assert.deepEqual(
    records.map((r) => [r.sec, r.nsec, r.tid, r.comm, r.syscall, r.ret, r.durNs]),
    [
      [5550, 201_422_000, 12925, 'threads', 'clone3', 12930, 39_000],
      [5550, 201_485_000, 12928, 'worker 1', 'prctl', 0, 2_000],
      [5069, 355_265_000, 7135, 'python3', 'futex', -1, 3_000],
      [5069, 298_627_000, 7132, 'python3', 'brk', 0xead1000, 2_000],
      [5591, 525_412_000, 13508, 'python3', 'clone', 13509, 514_000],
      // a "[continued]" line with a time carries the entry time itself
      [5069, 334_514_000, 7133, 'python3', 'clock_nanosleep', 0, 10_211_000],
      [5550, 687_764_000, 12925, 'threads', 'exit_group', null, null],
    ],
  );
});

test('an entry line ending in "..." and its [continued] line become one call; a clone child\'s own return is not a call', async () => {
  const { records, stats, problems } = await read(
    [
      '5069323.984 (         ): python3/7132 clone3(uargs: 0x7ffe5be748f0, size: 88)                            ...',
      '         ? (         ): :7133/7133  ... [continued]: clone3())                                           = 0',
      '5069324.268 ( 0.005 ms): :7133/7133 futex(uaddr: 0xeb92330, op: WAKE|PRIVATE_FLAG, val: 1)                = 1',
      '5069323.984 ( 0.168 ms): python3/7132  ... [continued]: clone3())                                           = 7133',
      '5069324.295 (         ): :7133/7133 clock_nanosleep(which_clock: 1, flags: 1, rqtp: 0x7fba09427a30)    ...',
      // perf lost the entry time of this one (the thread's comm changed meanwhile): joined, duration unknown
      '         ? (         ): python3/7133  ... [continued]: clock_nanosleep())                                  = 0',
    ].join('\n'),
    { pid: 7132 },
  );
  assert.equal(stats.joined, 2);
  assert.equal(problems.total(PERF_SKIP.cloneChild), 1);
  assert.equal(problems.total(), 1);
  assert.deepEqual(
    records.sort(byTime).map((r) => [r.nsec, r.pid, r.tid, r.comm, r.syscall, r.ret, r.durNs]),
    [
      [323_984_000, 7132, 7132, 'python3', 'clone3', 7133, 168_000],
      [324_268_000, 7132, 7133, '', 'futex', 1, 5_000], // ":7133" is perf's stand-in for an unknown comm
      [324_295_000, 7132, 7133, 'python3', 'clock_nanosleep', 0, null],
    ],
  );
});

test('pids: perf prints clone flags (THREAD or not) but not clone3 flags', async () => {
  const text = [
    '100.000 ( 0.050 ms): app/100 clone(clone_flags: VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID, newsp: 0x7f0000001000) = 101',
    '100.100 ( 0.001 ms): app/101 gettid() = 101',
    '100.200 ( 0.514 ms): app/100 clone(clone_flags: CHILD_CLEARTID|CHILD_SETTID|0x11, child_tidptr: 0x7f7d71eb3590) = 102 (app)',
    '100.300 ( 0.001 ms): app/102 getpid() = 102',
    '100.400 ( 0.040 ms): app/100 clone3(uargs: 0x7fffa81810d0, size: 88) = 103',
    '100.500 ( 0.001 ms): app/103 gettid() = 103',
  ].join('\n');
  const pids = async (opts: Partial<ReadSyscallsOptions>) => Object.fromEntries((await read(text, opts)).records.map((r) => [r.tid, r.pid]));
  assert.deepEqual(await pids({ knownPids: new Set([100]) }), { 100: 100, 101: 100, 102: 102, 103: -1 });
  assert.deepEqual(await pids({ pid: 100 }), { 100: 100, 101: 100, 102: 102, 103: 100 });
});

test("a clone child's records wait for its parent's clone result, and only for it", async () => {
  const { records } = await read(
    [
      // the child's half first: its calls are held until the parent's clone3 returns
      '         ? (         ): :201/201  ... [continued]: clone3())                                           = 0',
      '200.100 ( 0.001 ms): :201/201 gettid() = 201',
      '200.000 ( 0.040 ms): app/200 clone3(uargs: 0x7fffa81810d0, size: 88) = 201',
      // the parent's result first: the child's half then holds nothing back
      '200.200 ( 0.040 ms): app/200 clone3(uargs: 0x7fffa81810d0, size: 88) = 202',
      '         ? (         ): app/202  ... [continued]: clone3())                                           = 0',
      '200.300 ( 0.001 ms): app/202 gettid() = 202',
      '200.400 ( 0.001 ms): app/200 getpid() = 200',
    ].join('\n'),
    { pid: 200 },
  );
  assert.deepEqual(records.map((r) => [r.tid, r.syscall, r.pid]), [
    [201, 'gettid', 200],
    [200, 'clone3', 200],
    [200, 'clone3', 200],
    [202, 'gettid', 200],
    [200, 'getpid', 200],
  ]);
});

test('--no-comm lines, lines without a thread (one traced thread), and relative times', async () => {
  const noComm = await read(
    [
      '5591828.517 ( 0.365 ms): 13547 clone(clone_flags: CHILD_CLEARTID|CHILD_SETTID|0x11, child_tidptr: 0x7fa50d05e590) = 13549 (python3)',
      '         ? (         ): 13549  ... [continued]: clone())                                            = ',
      '5591829.001 ( 0.001 ms): 13549 getpid()                                                              = 13549',
    ].join('\n'),
    { knownPids: new Set([13547]) },
  );
  assert.deepEqual(noComm.records.map((r) => [r.pid, r.tid, r.comm, r.syscall, r.ret]), [
    [13547, 13547, '', 'clone', 13549],
    [13549, 13549, '', 'getpid', 13549],
  ]);
  assert.equal(noComm.problems.total(PERF_SKIP.cloneChild), 1);

  const single = '     0.026 ( 0.001 ms): brk()                                                                 = 0x3e3b1000\n';
  const withPid = await read(single, { pid: 7 });
  assert.deepEqual(withPid.records.map((r) => [r.sec, r.nsec, r.pid, r.tid, r.syscall, r.durNs]), [[0, 26_000, 7, 7, 'brk', 1_000]]);
  const without = await read(single);
  assert.equal(without.records.length, 0);
  assert.equal(without.problems.total(PERF_SKIP.noTid), 1);
});

test('perf lines that are not calls are counted with their reason', async () => {
  const { records, problems } = await read(
    [
      '5069298.700 (         ): python3/7132 majfault [0x7fba099efa4c] => /usr/lib/x86_64-linux-gnu/libc.so.6@0x2a3f0 (d.)',
      'LOST 12 events!',
      '         ? (         ): python3/7132  ... [continued]: execve())                                           = 0',
      'Summary of events:',
      '5069298.800 ( 0.001 ms): python3/7132 getpid() = 7132',
    ].join('\n'),
    { pid: 7132 },
  );
  assert.deepEqual(records.map((r) => r.syscall), ['getpid']);
  assert.equal(problems.total(PERF_SKIP.event), 1);
  assert.equal(problems.total(PERF_SKIP.lost), 1);
  assert.equal(problems.total(PERF_SKIP.noEntry), 1);
  assert.equal(problems.total(PERF_SKIP.malformed), 1);
  assert.deepEqual(problems.examples.map((p) => p.line), [1, 2, 3, 4]);
});

test('round trip at ns precision (ms with 6 decimals) gives the records back exactly', async () => {
  const records = sampleRecords(400, 21, 5000);
  const { back, problems } = await roundTrip(records, 'perf-trace', 'ns', { pid: 5000 });
  assert.equal(problems.total(), 0);
  assert.deepEqual(back, records);
});

test('round trip at µs precision (ms with 3 decimals, as perf prints) truncates to µs', async () => {
  const records = sampleRecords(400, 22, 5000);
  const { back, text, problems } = await roundTrip(records, 'perf-trace', 'us', { pid: 5000 });
  assert.equal(problems.total(), 0);
  assert.match(text.split('\n')[0], /^ *\d+\.\d{3} \( *(\d+\.\d{3} ms| +)\): .+\/5\d{3} [a-z_]+\(\) = /);
  assert.deepEqual(back, truncateToUs(records));
});

test('real fixture: perf trace -T of 4 threads parses; only lines without an entry time are skipped', async () => {
  const path = join(REAL_FIXTURES, 'threads.perf-trace');
  const main = Number(/ threads\/(\d+) /.exec(await readFile(path, 'utf8'))?.[1]);
  const problems = new ProblemLog();
  const records: RawSyscall[] = [];
  const stats = await readSyscallFile(path, 'perf-trace', (r) => records.push(r), { problems, pid: main });
  // The execve perf's workload was already in, and each worker's own return from clone3.
  assert.equal(problems.total(PERF_SKIP.noEntry), 1);
  assert.equal(problems.total(PERF_SKIP.cloneChild), 4);
  assert.equal(problems.total(), 5, problems.summary().join('; '));
  assert.ok(stats.joined > 0);
  const tids = new Set(records.map((r) => r.tid));
  assert.equal(tids.size, 5, 'main + 4 workers');
  assert.deepEqual([...new Set(records.map((r) => r.pid))], [main]);
  for (const call of ['clone3', 'openat', 'read', 'write', 'sendto', 'clock_nanosleep', 'futex', 'exit', 'exit_group']) {
    assert.ok(records.some((r) => r.syscall === call), call);
  }
  assert.deepEqual(
    [...new Set(records.map((r) => r.comm))].sort(),
    ['threads', 'worker 0', 'worker 1', 'worker 2', 'worker 3'],
    'comms with a space, read from COMM/TID',
  );
  // Joined calls come out at their [continued] line, so only the time order per thread is checked.
  assertOneCallAtATime(records, 'threads.perf-trace', 1000, false);
});
