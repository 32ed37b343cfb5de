/**
 * strace reader and writer. The input lines are copied from strace 6.1 runs on this machine
 * (`strace -f -ttt -T -o`, `--timestamps=unix,ns`, stderr output, `-Y`), trimmed where noted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProblemLog } from '../../lib/capture/problems';
import { STRACE_SKIP } from '../../lib/capture/strace';
import { readSyscallFile, type ReadSyscallsOptions } from '../../lib/capture/syscalls';
import type { RawSyscall } from '../../lib/capture/types';
import { assertOneCallAtATime, readContent, REAL_FIXTURES, roundTrip, sampleRecords, truncateToUs } from './syscall-helpers';

const read = (text: string, opts: Partial<ReadSyscallsOptions> = {}) => readContent(text, 'strace', opts);

const pick = (r: RawSyscall) => ({ tid: r.tid, syscall: r.syscall, ret: r.ret, durNs: r.durNs, sec: r.sec, nsec: r.nsec });

test('strace -o lines: tid, exact µs and ns timestamps, return values and durations', async () => {
  const { records, stats, problems } = await read(
    [
      '6498  1795686628.373413 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7ffaa00ae990, parent_tid=0x7ffaa00ae990, exit_signal=0, stack=0x7ffa9f8ae000, stack_size=0x7fff80, tls=0x7ffaa00ae6c0} => {parent_tid=[6499]}, 88) = 6499 <0.000066>',
      '12883 1795687130.492399752 brk(NULL)    = 0x561e5c2aa000 <0.000003>',
      '6498  1795686628.374041 futex(0x7ffa9f8ae990, FUTEX_WAKE_PRIVATE, 1) = -1 EAGAIN (Resource temporarily unavailable) <0.000010>',
      '6549  1795686635.046358891 exit(0)      = ?',
      '',
    ].join('\n'),
  );
  assert.equal(problems.total(), 0);
  assert.equal(stats.lines, 4);
  assert.equal(stats.records, 4);
  assert.deepEqual(records.map(pick), [
    { tid: 6498, syscall: 'clone3', ret: 6499, durNs: 66_000, sec: 1795686628, nsec: 373_413_000 },
    { tid: 12883, syscall: 'brk', ret: 0x561e5c2aa000, durNs: 3_000, sec: 1795687130, nsec: 492_399_752 },
    { tid: 6498, syscall: 'futex', ret: -1, durNs: 10_000, sec: 1795686628, nsec: 374_041_000 },
    { tid: 6549, syscall: 'exit', ret: null, durNs: null, sec: 1795686635, nsec: 46_358_891 },
  ]);
  assert.ok(records.every((r) => r.comm === ''), 'strace without -Y prints no comm');
});

test('an unfinished call and its resumed line become one call at the entry time', async () => {
  const { records, stats, problems } = await read(
    [
      '6433  1795686625.395822 set_robust_list(0x7f3c7f4d0a20, 24 <unfinished ...>',
      '6432  1795686625.395844 rt_sigprocmask(SIG_SETMASK, [],  <unfinished ...>',
      '6433  1795686625.395856 <... set_robust_list resumed>) = 0 <0.000023>',
      '6432  1795686625.395860 <... rt_sigprocmask resumed>NULL, 8) = 0 <0.000007>',
    ].join('\n'),
  );
  assert.equal(problems.total(), 0);
  assert.equal(stats.joined, 2);
  assert.equal(stats.lines, 4);
  // Yielded when complete (file order of the resumed lines); the caller sorts.
  assert.deepEqual(records.map(pick), [
    { tid: 6433, syscall: 'set_robust_list', ret: 0, durNs: 23_000, sec: 1795686625, nsec: 395_822_000 },
    { tid: 6432, syscall: 'rt_sigprocmask', ret: 0, durNs: 7_000, sec: 1795686625, nsec: 395_844_000 },
  ]);
});

test('exit and signal lines are counted, not records', async () => {
  const { records, stats, problems } = await read(
    [
      '6433  1795686625.397240 +++ exited with 0 +++',
      '6432  1795686625.397247 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=6433, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---',
      '6434  1795686625.397300 +++ killed by SIGKILL +++',
      '6435  1795686625.397400 --- stopped by SIGSTOP ---',
    ].join('\n'),
  );
  assert.equal(records.length, 0);
  assert.equal(stats.exits, 2);
  assert.equal(stats.signals, 2);
  assert.equal(problems.total(), 0);
});

test('strings holding ")", " = ", quotes and "<unfinished ...>" do not hide the result', async () => {
  const { records, problems } = await read(
    [
      '6432  1795686625.398000 write(1, "a \\"quoted) = x\\"\\n", 16) = 16 <0.000005>',
      '6432  1795686625.398100 read(3, ") = 5 <0.1>", 4096) = 11 <0.000007>',
      '6432  1795686625.398200 openat(AT_FDCWD, "/tmp/x = (y)", O_RDONLY) = -1 ENOENT (No such file or directory) <0.000004>',
      '6432  1795686625.398300 write(1, "x = 1 <unfinished ...>"..., 30 <unfinished ...>',
      '6432  1795686625.398400 <... write resumed>) = 30 <0.000100>',
      '6432  1795686625.398500 poll([{fd=3, events=POLLIN}], 1, 0) = 1 ([{fd=3, revents=POLLIN}]) <0.000002>',
      '6432  1795686625.398600 openat(AT_FDCWD, "/dev/null", O_RDONLY) = 3</dev/null> <0.000003>',
    ].join('\n'),
  );
  assert.equal(problems.total(), 0);
  assert.deepEqual(
    records.map((r) => [r.syscall, r.ret, r.durNs]),
    [
      ['write', 16, 5_000],
      ['read', 11, 7_000],
      ['openat', -1, 4_000],
      ['write', 30, 100_000],
      ['poll', 1, 2_000],
      ['openat', 3, 3_000],
    ],
  );
  assert.equal(records[3].nsec, 398_300_000, 'the joined write keeps its entry time');
});

test('prefixes: "[pid TID] " (stderr), none (one task: the file pid), and -Y comms', async () => {
  const text = [
    '[pid  6557] 1795686635.100918 rseq(0x7fbd53f6cfe0, 0x20, 0, 0x53053053) = 0 <0.000009>',
    '1795686635.150034 close(2)              = 0 <0.000009>',
    '8768<python3> 1795686815.921113916 getpid() = 8768<python3> <0.000004>',
    '[pid 12901<python3>] 1795687130.875678 rseq(0x7f43cbd9dfe0, 0x20, 0, 0x53053053) = 0 <0.000009>',
  ].join('\n');
  const withPid = await read(text, { pid: 6556 });
  assert.equal(withPid.problems.total(), 0);
  assert.deepEqual(
    withPid.records.map((r) => [r.tid, r.comm, r.syscall, r.ret]),
    [
      [6557, '', 'rseq', 0],
      [6556, '', 'close', 0],
      [8768, 'python3', 'getpid', 8768],
      [12901, 'python3', 'rseq', 0],
    ],
  );
  // Without a pid for the file, the line without a tid cannot be placed: counted, not guessed.
  const without = await read(text);
  assert.equal(without.records.length, 3);
  assert.equal(without.problems.total(STRACE_SKIP.noTid), 1);
  assert.equal(without.problems.examples[0].line, 2);
  assert.equal(without.problems.examples[0].file, 'x.strace');
});

test('stderr output: "strace: Process N attached" cutting a clone3 line is skipped and the line rejoined', async () => {
  // From test/fixtures/real/threads-stderr.strace (arguments shortened).
  const { records, stats, problems } = await read(
    [
      '1795687130.991694 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS, tls=0x7f9a63dc86c0}strace: Process 12920 attached',
      ' => {parent_tid=[12920]}, 88) = 12920 <0.000023>',
      '[pid 12920] 1795687130.991738 rseq(0x7f9a63dc8fe0, 0x20, 0, 0x53053053) = 0 <0.000009>',
      '[pid 12918] 1795687130.991831 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS, tls=0x7f9a635c76c0}strace: Process 12921 attached',
      'strace: Process 12919 attached',
      ' <unfinished ...>',
      '[pid 12918] 1795687130.991877 <... clone3 resumed> => {parent_tid=[12921]}, 88) = 12921 <0.000041>',
    ].join('\n'),
    { pid: 12918 },
  );
  assert.deepEqual(
    records.map((r) => [r.pid, r.tid, r.syscall, r.ret, r.durNs, r.nsec]),
    [
      [12918, 12918, 'clone3', 12920, 23_000, 991_694_000],
      [12918, 12920, 'rseq', 0, 9_000, 991_738_000],
      [12918, 12918, 'clone3', 12921, 41_000, 991_831_000],
    ],
  );
  assert.equal(problems.total(STRACE_SKIP.message), 3);
  assert.equal(problems.total(), 3);
  assert.equal(stats.joined, 1);
});

test('pids: known main threads, CLONE_THREAD children, forks, the file pid, else -1', async () => {
  const text = [
    '100   1700000000.000001 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0, stack=0x1, stack_size=0x1, tls=0x1} <unfinished ...>',
    // the new thread runs before its parent's clone3 returns
    '101   1700000000.000002 set_robust_list(0x7f3c7f4d0a20, 24) = 0 <0.000001>',
    '100   1700000000.000003 <... clone3 resumed> => {parent_tid=[101]}, 88) = 101 <0.000002>',
    '100   1700000000.000004 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f3c7f4d0a10) = 102 <0.000050>',
    '102   1700000000.000005 getpid() = 102 <0.000001>',
    '101   1700000000.000006 vfork() = 103 <0.000100>',
    '103   1700000000.000007 execve("/bin/true", ["true"], 0x7ffd /* 1 var */) = 0 <0.000100>',
    '104   1700000000.000008 getpid() = 55 <0.000001>',
  ].join('\n');
  const pidOf = (records: RawSyscall[]) => Object.fromEntries(records.map((r) => [r.tid, r.pid]));

  const known = await read(text, { knownPids: new Set([100]) });
  assert.deepEqual(pidOf(known.records), { 100: 100, 101: 100, 102: 102, 103: 103, 104: -1 });
  assert.equal(known.records.length, 7, "8 lines, one call split in two");

  // The file's pid stands for threads the file does not explain; a fork is still its own process.
  const filePid = await read(text, { pid: 55 });
  assert.deepEqual(pidOf(filePid.records), { 100: 55, 101: 55, 102: 102, 103: 103, 104: 55 });
});

test('a clone written without its flags (as writeSyscallFile writes it) leaves the child to the file pid', async () => {
  const records: RawSyscall[] = [
    { sec: 1700000000, nsec: 1000, pid: 55, tid: 55, comm: '', syscall: 'clone3', ret: 56, durNs: 1000 },
    { sec: 1700000000, nsec: 2000, pid: 55, tid: 56, comm: '', syscall: 'getpid', ret: 55, durNs: 1000 },
    { sec: 1700000000, nsec: 3000, pid: 55, tid: 55, comm: '', syscall: 'vfork', ret: 57, durNs: 1000 },
    { sec: 1700000000, nsec: 4000, pid: 57, tid: 57, comm: '', syscall: 'execve', ret: 0, durNs: 1000 },
  ];
  const { back, text } = await roundTrip(records, 'strace', 'ns', { pid: 55 });
  assert.match(text, /clone3\(\) = 56/);
  // clone3's thread stays in pid 55 (not made a process of its own); vfork always makes a process.
  assert.deepEqual(back, records);
  // A child that processes.csv lists as a process is that process, whatever the clone's flags.
  const listed = await read(text, { pid: 55, knownPids: new Set([55, 56]) });
  assert.deepEqual(listed.records.map((r) => [r.tid, r.pid]), [[55, 55], [56, 56], [55, 55], [57, 57]]);
});

test('filter: window on the file clock, tids and pids; split calls filtered once by entry time', async () => {
  const text = [
    '10    1700000000.000001000 read(3, "", 1) = 0 <0.000001>',
    '11    1700000000.000002000 futex(0x1, FUTEX_WAIT_PRIVATE, 0, NULL <unfinished ...>',
    '10    1700000000.000003000 write(1, "a", 1) = 1 <0.000001>',
    '11    1700000000.000004000 <... futex resumed>) = 0 <0.000002>',
    '12    1700000000.000005000 close(3) = 0 <0.000001>',
  ].join('\n');
  const window = { start: { sec: 1700000000, nsec: 3000 }, end: { sec: 1700000000, nsec: 5000 } };
  const byWindow = await read(text, { filter: { window }, pid: 1 });
  // The futex entered before the window; its resumed line inside the window is not an orphan.
  assert.deepEqual(byWindow.records.map((r) => r.syscall), ['write']);
  assert.equal(byWindow.stats.filtered, 3);
  assert.equal(byWindow.problems.total(), 0);

  const byTid = await read(text, { filter: { tids: new Set([11, 12]) }, pid: 1 });
  assert.deepEqual(byTid.records.map((r) => r.syscall), ['futex', 'close']);
  assert.equal(byTid.stats.filtered, 2);

  const byPid = await read(text, { filter: { pids: new Set([12]) }, knownPids: new Set([12]) });
  assert.deepEqual(byPid.records.map((r) => [r.pid, r.syscall]), [[12, 'close']]);
  assert.equal(byPid.stats.filtered, 3);
});

test('a time of day without a date (strace -tt) is reported as such', async () => {
  const { records, problems } = await read('6432  10:03:04.123456 read(3, "", 1) = 0 <0.000001>\n');
  assert.equal(records.length, 0);
  assert.equal(problems.total(STRACE_SKIP.timeOfDay), 1);
});

test('round trip at ns precision gives the records back exactly', async () => {
  const records = sampleRecords(400, 11, 4000);
  const { back, problems } = await roundTrip(records, 'strace', 'ns', { pid: 4000 });
  assert.equal(problems.total(), 0);
  assert.deepEqual(back, records);
});

test('round trip at µs precision truncates timestamps and durations to µs', async () => {
  const records = sampleRecords(400, 12, 4000);
  const { back, text, problems } = await roundTrip(records, 'strace', 'us', { pid: 4000 });
  assert.equal(problems.total(), 0);
  assert.match(text.split('\n')[0], /^4\d{3}(<[^>]*>)? +\d{10}\.\d{6} [a-z_]+\(\) = /, 'written as strace -ttt prints it');
  assert.deepEqual(back, truncateToUs(records));
  assert.ok(records.some((r, i) => r.nsec !== back[i].nsec), 'the sample has sub-µs digits to lose');
});

test('real fixtures: strace -o (µs and ns) and stderr output parse with no skipped call line', async () => {
  for (const name of ['threads.strace', 'threads-ns.strace', 'threads-stderr.strace']) {
    const path = join(REAL_FIXTURES, name);
    const text = await readFile(path, 'utf8');
    // The program's main thread is the one that starts the workers with clone3.
    const main = Number(/^(?:\[pid +)?(\d+)\]? +[\d.]+ clone3\(/m.exec(text)?.[1]);
    const stderr = name.includes('stderr');
    const problems = new ProblemLog();
    const records: RawSyscall[] = [];
    // stderr output has no tid on the main thread's lines while it runs alone: the file pid says whose they are.
    const stats = await readSyscallFile(path, 'strace', (r) => records.push(r), { problems, pid: stderr ? main : undefined, knownPids: new Set([main]) });
    // Only strace's own "Process N attached" messages (stderr) are not calls.
    assert.deepEqual([...problems.counts.keys()].filter((k) => !k.endsWith(STRACE_SKIP.message)), [], `${name}: ${problems.summary()}`);
    assert.equal(stats.exits, 5, `${name}: 4 workers and the main thread exit`);
    assert.equal(new Set(records.map((r) => r.tid)).size, 5, `${name}: main + 4 workers`);
    // Every worker is placed in the main process through its clone3 with CLONE_THREAD.
    assert.deepEqual([...new Set(records.map((r) => r.pid))], [main], name);
    for (const call of ['execve', 'clone3', 'openat', 'read', 'write', 'sendto', 'clock_nanosleep', 'futex', 'exit_group']) {
      assert.ok(records.some((r) => r.syscall === call), `${name}: ${call}`);
    }
    assert.equal(records.filter((r) => r.syscall === 'clone3').length, 4, name);
    assert.ok(records.some((r) => r.nsec % 1000 !== 0) === name.includes('-ns'), `${name}: ns digits only in the ns file`);
    assertOneCallAtATime(records, name, 1000, true);
  }
});

test('syscall names whose hashes share a slot of the reader\'s name table are told apart', async () => {
  // 'xaaa' and 'xbcb' hash alike modulo 1024 (31-polynomial over their characters, found by search);
  // 'xaaax' has xaaa as its prefix
  const names = ['xaaa', 'xbcb', 'xaaa', 'xaaax', 'xbcb', 'read'];
  const { records, problems } = await read(names.map((n, k) => `7  1795686628.00000${k} ${n}(1) = 0 <0.000001>\n`).join(''));
  assert.equal(problems.total(), 0);
  assert.deepEqual(records.map((r) => r.syscall), names);
});
