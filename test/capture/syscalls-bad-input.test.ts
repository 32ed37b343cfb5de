/**
 * Bad input for every syscall format: nothing crashes, nothing is dropped silently. Each skipped
 * line is in the ProblemLog with file:line and a reason; whole-file problems have line 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BAD_RESULT, ID_TOO_LARGE } from '../../lib/capture/call-text';
import { forEachLine } from '../../lib/capture/lines';
import { PERF_SKIP } from '../../lib/capture/perf-trace';
import { CaptureError, ProblemLog } from '../../lib/capture/problems';
import { TRUNCATED } from '../../lib/capture/record-sink';
import { STRACE_SKIP } from '../../lib/capture/strace';
import { FILE_SKIP, readSyscallFile } from '../../lib/capture/syscalls';
import type { SyscallFormat } from '../../lib/capture/types';
import { readContent } from './syscall-helpers';

const FORMATS: SyscallFormat[] = ['strace', 'perf-trace', 'bpftrace', 'csv'];

/** A valid one-call line of `format` for tid 7 of pid 7, entered at 1000 s + `us` µs. */
function callLine(format: SyscallFormat, us: number, name = 'read'): string {
  const frac = `${us}`.padStart(6, '0');
  switch (format) {
    case 'strace':
      return `7     1000.${frac} ${name}(3, "x", 1) = 1 <0.000002>`;
    case 'perf-trace':
      return `${1_000_000 + Math.floor(us / 1000)}.${`${us % 1000}`.padStart(3, '0')} ( 0.002 ms): app/7 ${name}(fd: 3) = 1`;
    case 'bpftrace':
      return `1000${frac}000 7 7 ${name} 1 2000 app`;
    case 'csv':
      return `1000${frac}000,7,7,app,${name},1,2000`;
  }
}

/** The file text: the csv header, then `lines`. */
function file(format: SyscallFormat, lines: string[], finalNewline = true): string {
  const all = format === 'csv' ? ['ts_ns,pid,tid,comm,syscall,ret,dur_ns', ...lines] : lines;
  return all.join('\n') + (finalNewline ? '\n' : '');
}

const header = (format: SyscallFormat) => (format === 'csv' ? 1 : 0);

for (const format of FORMATS) {
  test(`${format}: a truncated last line is counted as truncated, with its line number`, async () => {
    const good = callLine(format, 1);
    const cut = callLine(format, 2).slice(0, 12);
    const { records, problems } = await readContent(file(format, [good, cut], false), format, { pid: 7 });
    assert.equal(records.length, 1);
    assert.equal(problems.total(TRUNCATED), 1);
    assert.equal(problems.examples[0].line, header(format) + 2);
    assert.equal(problems.examples[0].file, `x.${format}`);
    // The same line in the middle of a file is just malformed.
    const middle = await readContent(file(format, [cut, good]), format, { pid: 7 });
    assert.equal(middle.records.length, 1);
    assert.equal(middle.problems.total(TRUNCATED), 0);
    assert.equal(middle.problems.total(), 1);
  });

  test(`${format}: garbage lines are counted one by one and do not disturb the calls around them`, async () => {
    const garbage = ['hello world', '{"traceID": "abc"}', '\t\t', '12345', '=== ) = 0 <0.1>', 'a b c d e f g h'];
    const lines = [callLine(format, 1), ...garbage, callLine(format, 2)];
    const { records, problems, stats } = await readContent(file(format, lines), format, { pid: 7 });
    assert.equal(records.length, 2);
    assert.equal(problems.total(), garbage.length);
    assert.deepEqual(problems.examples.map((p) => p.line).sort((a, b) => a - b).slice(0, 5), [2, 3, 4, 5, 6].map((l) => l + header(format)));
    assert.equal(stats.lines, lines.length + header(format));
  });

  test(`${format}: an empty file gives no records, a zero line count and one whole-file problem`, async () => {
    const { records, stats, problems } = await readContent('', format, { pid: 7 });
    assert.equal(records.length, 0);
    assert.equal(stats.lines, 0);
    assert.equal(stats.records, 0);
    assert.equal(problems.total(FILE_SKIP.empty), 1);
    assert.equal(problems.examples[0].line, 0);
  });

  test(`${format}: invalid UTF-8 bytes neither crash nor hide the valid lines`, async () => {
    const bad = Buffer.from([0xff, 0xfe, 0x20, 0xc3, 0x28, 0x0a]); // not UTF-8, then a newline
    const content = Buffer.concat([Buffer.from(file(format, [callLine(format, 1)])), bad, Buffer.from(`${callLine(format, 2)}\n`)]);
    const { records, problems } = await readContent(content, format, { pid: 7 });
    assert.equal(records.length, 2);
    assert.equal(problems.total(), 1);
    assert.ok(problems.examples[0].text.includes('\uFFFD'), 'the example shows the bad bytes as U+FFFD');
  });

  test(`${format}: a 1 MB line is skipped with a short example`, async () => {
    const huge = 'x'.repeat(1 << 20);
    const { records, problems } = await readContent(file(format, [callLine(format, 1), huge, callLine(format, 2)]), format, { pid: 7 });
    assert.equal(records.length, 2);
    assert.equal(problems.total(), 1);
    assert.ok(problems.examples[0].text.length <= 201);
  });

  test(`${format}: timestamps going backwards are counted and the calls still yielded`, async () => {
    const lines = [callLine(format, 500), callLine(format, 100), callLine(format, 200), callLine(format, 50)];
    const { records, stats, problems } = await readContent(file(format, lines), format, { pid: 7 });
    assert.equal(problems.total(), 0);
    assert.deepEqual(records.map((r) => r.nsec / 1000), [500, 100, 200, 50]);
    assert.equal(stats.outOfOrder, 2);
  });

  test(`${format}: invalid UTF-8 in a comm or argument keeps the call`, async () => {
    const line = Buffer.from(callLine(format, 1).replace('app', 'a\u0001pp').replace('"x"', '"\u0001"'), 'latin1');
    line[line.indexOf(1)] = 0xff;
    const { records, problems } = await readContent(Buffer.concat([Buffer.from(format === 'csv' ? 'ts_ns,pid,tid,comm,syscall,ret,dur_ns\n' : ''), line, Buffer.from('\n')]), format, { pid: 7 });
    assert.equal(problems.total(), 0);
    assert.equal(records.length, 1);
    if (format !== 'strace') assert.equal(records[0].comm, 'a\uFFFDpp');
  });
}

/** Lines of `format` whose pid or tid is 2^31 or more, and one at exactly 2^31-1 (kept). */
const HUGE_IDS: Record<SyscallFormat, { bad: string[]; largest: string }> = {
  strace: {
    bad: ['2147483648  1000.000001 read(3, "x", 1) = 1 <0.000002>', '[pid 99999999999] 1000.000002 read(3, "x", 1) = 1 <0.000002>'],
    largest: '2147483647  1000.000003 read(3, "x", 1) = 1 <0.000002>',
  },
  'perf-trace': {
    bad: ['1000000.001 ( 0.002 ms): app/2147483648 read(fd: 3) = 1', '1000000.002 ( 0.002 ms): 4294967297 read(fd: 3) = 1'],
    largest: '1000000.003 ( 0.002 ms): app/2147483647 read(fd: 3) = 1',
  },
  bpftrace: {
    bad: ['1000000001000 2147483648 7 read 1 2000 app', '1000000002000 7 4294967296 read 1 2000 app'],
    largest: '1000000003000 2147483647 2147483647 read 1 2000 app',
  },
  csv: {
    bad: ['1000000001000,2147483648,7,app,read,1,2000', '1000000002000,7,4294967296,app,read,1,2000'],
    largest: '1000000003000,2147483647,2147483647,app,read,1,2000',
  },
};

for (const format of FORMATS) {
  test(`${format}: a pid or tid above 2^31-1 is counted with its reason instead of wrapping in the table`, async () => {
    const { bad, largest } = HUGE_IDS[format];
    const { records, problems } = await readContent(file(format, [...bad, largest]), format, { pid: 7 });
    assert.equal(problems.total(ID_TOO_LARGE), 2, problems.summary().join('; '));
    assert.equal(problems.total(), 2);
    assert.deepEqual(problems.examples.map((p) => p.line), [1, 2].map((l) => l + header(format)));
    assert.deepEqual(records.map((r) => r.tid), [2 ** 31 - 1]);
  });
}

test('strace and perf-trace: a result that is not a number, or a bad strace duration, is counted; the call is kept as unknown', async () => {
  const strace = await readContent(
    [
      '7     1000.000001 mmap(NULL, 4096) = 0x <0.000002>',
      '7     1000.000002 read(3, "", 1) = - <0.000002>',
      '7     1000.000003 read(3, "", 1) = ',
      '7     1000.000004 read(3, "", 1) = 0 <1.2.3>',
      '7     1000.000005 read(3, "", 1) = 0x10000000000000000 <0.000002>',
      // not problems: strace's unknown result, and results with what -y and -Y print after them
      '7     1000.000006 exit(0) = ?',
      '7     1000.000007 openat(AT_FDCWD, "/dev/null", O_RDONLY) = 3</dev/null> <0.000002>',
      '7<app> 1000.000008 getpid() = 7<app>',
      '',
    ].join('\n'),
    'strace',
  );
  assert.equal(strace.problems.total(BAD_RESULT), 4, strace.problems.summary().join('; '));
  assert.equal(strace.problems.total(STRACE_SKIP.badDuration), 1);
  assert.equal(strace.problems.total(), 5);
  assert.deepEqual(strace.problems.examples.map((p) => p.line).sort(), [1, 2, 3, 4, 5]);
  assert.deepEqual(strace.records.map((r) => [r.ret, r.durNs]), [
    [null, 2000], [null, 2000], [null, null], [0, null], [null, 2000], [null, null], [3, 2000], [7, null],
  ]);

  const perf = await readContent(
    ['1000000.001 ( 0.002 ms): app/7 mmap(addr: 0) = 0x', '1000000.002 ( 0.002 ms): app/7 read(fd: 3) = -', '1000000.003 ( 0.002 ms): app/7 exit() = ?', ''].join('\n'),
    'perf-trace',
  );
  assert.equal(perf.problems.total(BAD_RESULT), 2);
  assert.equal(perf.problems.total(), 2);
  assert.deepEqual(perf.records.map((r) => r.ret), [null, null, null]);
});

test('strace: a 1 MB string argument is read like any call', async () => {
  const line = `7     1000.000001 write(1, "${'y'.repeat(1 << 20)}", 1048576) = 1048576 <0.000120>`;
  const { records, problems } = await readContent(`${line}\n`, 'strace', { pid: 7 });
  assert.equal(problems.total(), 0);
  assert.deepEqual(records.map((r) => [r.syscall, r.ret, r.durNs]), [['write', 1048576, 120_000]]);
});

test('strace and perf-trace: an unfinished call never resumed is counted and kept with an unknown result', async () => {
  const strace = await readContent(
    ['7     1000.000001 futex(0x1, FUTEX_WAIT_PRIVATE, 0, NULL <unfinished ...>', '8     1000.000002 read(3, "", 1) = 0 <0.000001>', ''].join('\n'),
    'strace',
    { pid: 7 },
  );
  assert.equal(strace.problems.total(STRACE_SKIP.neverResumed), 1);
  assert.equal(strace.problems.examples[0].line, 1);
  assert.deepEqual(strace.records.map((r) => [r.tid, r.syscall, r.ret, r.durNs, r.nsec]), [
    [8, 'read', 0, 1000, 2000],
    [7, 'futex', null, null, 1000],
  ]);

  const perf = await readContent('1000000.001 (         ): app/7 futex(uaddr: 0x1, op: WAIT|PRIVATE_FLAG, val: 2)    ...\n', 'perf-trace', { pid: 7 });
  assert.equal(perf.problems.total(PERF_SKIP.neverResumed), 1);
  assert.deepEqual(perf.records.map((r) => [r.syscall, r.ret, r.durNs]), [['futex', null, null]]);
});

test('strace: a resumed line without its unfinished line is counted, not guessed', async () => {
  const { records, problems, stats } = await readContent(
    ['7     1000.000002 <... futex resumed>) = 0 <0.000010>', '7     1000.000003 <... read resumed>"", 1) = 0 <0.000001>', ''].join('\n'),
    'strace',
    { pid: 7 },
  );
  assert.equal(records.length, 0);
  assert.equal(stats.joined, 0);
  assert.equal(problems.total(STRACE_SKIP.orphanResumed), 2);
  assert.deepEqual(problems.examples.map((p) => p.line), [1, 2]);
});

test('a file that does not exist is a CaptureError naming it', async () => {
  await assert.rejects(readSyscallFile('/nonexistent/x.strace', 'strace', () => {}, { problems: new ProblemLog(), label: 'syscalls/x.strace' }), (e: unknown) => {
    assert.ok(e instanceof CaptureError);
    assert.equal(e.file, 'syscalls/x.strace');
    assert.match(e.message, /no such file/);
    return true;
  });
});

test('forEachLine: lines split across chunks, CRLF, a last line without newline, and lines over the limit', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ds-lines-'));
  try {
    const path = join(dir, 'lines.txt');
    const lines = ['first', '', 'a line longer than the chunk size of seven bytes', 'crlf', 'x'.repeat(40), 'tail'];
    await writeFile(path, `${lines[0]}\n\n${lines[2]}\r\n${lines[3]}\r\n${lines[4]}\n${lines[5]}`);
    const seen: [string, number, boolean][] = [];
    const overlong: [number, number][] = [];
    const result = await forEachLine(path, (buf, start, end, lineNo, unterminated) => seen.push([buf.toString('utf8', start, end), lineNo, unterminated]), {
      chunkBytes: 7,
      maxLineBytes: 32,
      onOverlong: (lineNo, bytes) => overlong.push([lineNo, bytes]),
    });
    assert.deepEqual(seen, [
      ['first', 1, false],
      ['', 2, false],
      ['crlf', 4, false],
      ['tail', 6, true],
    ]);
    // line 3 is 48 bytes plus its '\r'; line 5 is 40 bytes
    assert.deepEqual(overlong, [[3, 49], [5, 40]]);
    assert.equal(result.lines, 6);
  } finally {
    await rm(dir, { recursive: true });
  }
});
