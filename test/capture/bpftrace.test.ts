/**
 * bpftrace reader and writer, and the x86-64 syscall table it maps numbers through. Lines are in
 * the shape the raw_syscalls script of lib/capture/bpftrace.ts prints (bpftrace 0.17 here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BPFTRACE_SKIP } from '../../lib/capture/bpftrace';
import { COLUMN_SKIP } from '../../lib/capture/column-records';
import { ProblemLog } from '../../lib/capture/problems';
import { readSyscallField, syscallName, syscallNumber } from '../../lib/capture/syscall-table';
import { readSyscallFile } from '../../lib/capture/syscalls';
import type { RawSyscall } from '../../lib/capture/types';
import { assertOneCallAtATime, readContent, REAL_FIXTURES, roundTrip, sampleRecords } from './syscall-helpers';

const read = (content: string | Buffer) => readContent(content, 'bpftrace');

test('the syscall table has the x86-64 numbers of the Linux ABI', () => {
  // arch/x86/entry/syscalls/syscall_64.tbl
  const known: [number, string][] = [
    [0, 'read'], [1, 'write'], [3, 'close'], [9, 'mmap'], [39, 'getpid'], [56, 'clone'], [57, 'fork'],
    [58, 'vfork'], [59, 'execve'], [60, 'exit'], [202, 'futex'], [231, 'exit_group'], [232, 'epoll_wait'],
    [257, 'openat'], [288, 'accept4'], [302, 'prlimit64'], [334, 'rseq'], [424, 'pidfd_send_signal'],
    [435, 'clone3'], [449, 'futex_waitv'], [450, 'set_mempolicy_home_node'], [451, 'cachestat'],
    [462, 'mseal'], [469, 'file_setattr'], [470, 'listns'],
  ];
  for (const [nr, name] of known) {
    assert.equal(syscallName(nr), name, `${nr}`);
    assert.equal(syscallNumber(name), nr, name);
  }
  // 335..423 are unassigned on x86-64; 512.. are x32 calls.
  for (const nr of [335, 400, 423, 471, 512, -1, 1.5]) assert.equal(syscallName(nr), undefined, `${nr}`);
  assert.deepEqual(readSyscallField('202'), { name: 'futex', known: true });
  assert.deepEqual(readSyscallField('futex'), { name: 'futex', known: true });
  assert.deepEqual(readSyscallField('999'), { name: 'syscall_999', known: false });
  assert.equal(readSyscallField('sys-enter'), null);
});

test('fields: ns timestamps exact beyond 2^53, numbers mapped to names, "-" as unknown, comm with spaces last', async () => {
  const { records, problems, stats } = await read(
    [
      'Attaching 2 probes...',
      '5242857395886 8801 8801 12 1072599040 1849 python3',
      '1795686628373413123 8801 8802 202 -11 5000 worker 0',
      '5242857504487 8801 8801 exit_group - - python3',
      '5242857504490 8801 8803 0 0 12 ',
      '',
      '',
      '@start[8803]: 5242904131546',
      '',
    ].join('\n'),
  );
  assert.deepEqual(records, [
    { sec: 5242, nsec: 857_395_886, pid: 8801, tid: 8801, comm: 'python3', syscall: 'brk', ret: 1072599040, durNs: 1849 },
    { sec: 1795686628, nsec: 373_413_123, pid: 8801, tid: 8802, comm: 'worker 0', syscall: 'futex', ret: -11, durNs: 5000 },
    { sec: 5242, nsec: 857_504_487, pid: 8801, tid: 8801, comm: 'python3', syscall: 'exit_group', ret: null, durNs: null },
    { sec: 5242, nsec: 857_504_490, pid: 8801, tid: 8803, comm: '', syscall: 'read', ret: 0, durNs: 12 },
  ]);
  // bpftrace's own lines are counted with a reason, not silently dropped.
  assert.equal(problems.total(BPFTRACE_SKIP.banner), 1);
  assert.equal(problems.total(BPFTRACE_SKIP.empty), 2);
  assert.equal(problems.total(BPFTRACE_SKIP.mapDump), 1);
  assert.equal(problems.total(), 4);
  assert.equal(stats.lines, 8);
  // The epoch-ns line comes after a boot-time one: a backwards step, counted.
  assert.equal(stats.outOfOrder, 1);
});

test('an unknown syscall number is kept as syscall_<n> and counted; bad fields skip the line', async () => {
  const { records, problems } = await read(
    [
      '100 1 1 999 0 10 a',
      '101 1 1 read x 10 a',
      '102 1 1 read 0 -5 a',
      '103 -1 1 read 0 5 a',
      '1.5 1 1 read 0 5 a',
      '104 1 1 Read! 0 5 a',
      '105 1 1 read 0',
      '',
    ].join('\n'),
  );
  assert.deepEqual(records.map((r) => r.syscall), ['syscall_999']);
  assert.equal(problems.total(COLUMN_SKIP.unknownNumber), 1);
  assert.equal(problems.total(COLUMN_SKIP.ret), 1);
  assert.equal(problems.total(COLUMN_SKIP.dur), 1);
  assert.equal(problems.total(COLUMN_SKIP.pid), 1);
  assert.equal(problems.total(COLUMN_SKIP.ts), 1);
  assert.equal(problems.total(COLUMN_SKIP.syscall), 1);
  assert.equal(problems.total(BPFTRACE_SKIP.malformed), 1);
  assert.deepEqual(problems.examples.filter((p) => p.reason !== COLUMN_SKIP.unknownNumber).map((p) => p.line), [2, 3, 4, 5, 6, 7]);
});

test('round trip keeps every field exactly (pid included)', async () => {
  const records = [...sampleRecords(300, 31, 6000), ...sampleRecords(100, 32, 7000)];
  const { back, problems } = await roundTrip(records, 'bpftrace', 'us');
  assert.equal(problems.total(), 0);
  assert.deepEqual(back, records, 'bpftrace holds ns whatever the precision option');
});

test('real fixtures: bpftrace with syscall numbers and with names agree, one process, 5 threads', async () => {
  const names: string[][] = [];
  for (const file of ['threads.bpftrace', 'threads-named.bpftrace']) {
    const problems = new ProblemLog();
    const records: RawSyscall[] = [];
    const stats = await readSyscallFile(join(REAL_FIXTURES, file), 'bpftrace', (r) => records.push(r), { problems });
    // Only the banner and the blank lines bpftrace prints at exit are not records.
    const reasons = [...problems.counts.keys()].map((k) => k.slice(k.indexOf(': ') + 2));
    assert.deepEqual(reasons.filter((r) => r !== BPFTRACE_SKIP.banner && r !== BPFTRACE_SKIP.empty), [], `${file}: ${problems.summary()}`);
    assert.equal(problems.total(BPFTRACE_SKIP.banner), 1);
    assert.equal(stats.records + problems.total(), stats.lines);
    assert.equal(new Set(records.map((r) => r.pid)).size, 1, `${file}: one process (the -c child)`);
    assert.equal(new Set(records.map((r) => r.tid)).size, 5, `${file}: main + 4 workers`);
    assert.ok(stats.outOfOrder > 0, `${file}: per-CPU buffers print out of entry order`);
    for (const call of ['execve', 'clone3', 'openat', 'read', 'write', 'sendto', 'clock_nanosleep', 'futex', 'exit', 'exit_group']) {
      assert.ok(records.some((r) => r.syscall === call), `${file}: ${call}`);
    }
    assert.ok(!records.some((r) => r.syscall.startsWith('syscall_')), `${file}: every number is in the table`);
    assertOneCallAtATime(records, file, 0, false);
    names.push([...new Set(records.map((r) => r.syscall))].sort());
  }
  // Two runs of the same program: the names our table gives the numbers are the names bpftrace printed.
  assert.deepEqual(names[0], names[1]);
});
