/** Syscall CSV reader and writer (header ts_ns,pid,tid,comm,syscall,ret,dur_ns). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLUMN_SKIP } from '../../lib/capture/column-records';
import { CSV_SKIP } from '../../lib/capture/csv-syscalls';
import { CaptureError } from '../../lib/capture/problems';
import { readContent, roundTrip, sampleRecords } from './syscall-helpers';

const read = (content: string | Buffer) => readContent(content, 'csv');

test('rows: exact ns, empty ret and dur_ns as unknown, RFC 4180 quoted comms, CRLF and a BOM', async () => {
  const { records, problems, stats } = await read(
    '\uFEFFts_ns,pid,tid,comm,syscall,ret,dur_ns\r\n' +
      '1795686628373413123,40,41,"worker, ""0""",futex,-11,5000\r\n' +
      '1795686628373413124,40,40,python3,exit_group,,\r\n' +
      '5242857395886,40,42,,202,0,12\r\n',
  );
  assert.equal(problems.total(), 0);
  assert.equal(stats.lines, 4);
  assert.deepEqual(records, [
    { sec: 1795686628, nsec: 373_413_123, pid: 40, tid: 41, comm: 'worker, "0"', syscall: 'futex', ret: -11, durNs: 5000 },
    { sec: 1795686628, nsec: 373_413_124, pid: 40, tid: 40, comm: 'python3', syscall: 'exit_group', ret: null, durNs: null },
    // a number in the syscall column is mapped like bpftrace's
    { sec: 5242, nsec: 857_395_886, pid: 40, tid: 42, comm: '', syscall: 'futex', ret: 0, durNs: 12 },
  ]);
  assert.equal(stats.outOfOrder, 1);
});

test('columns are found by name: any order, extra columns ignored', async () => {
  const { records, problems } = await read('host,syscall,dur_ns,ret,comm,tid,pid,ts_ns\nnode-1,read,7,3,a,2,1,1000000000\n');
  assert.equal(problems.total(), 0);
  assert.deepEqual(records, [{ sec: 1, nsec: 0, pid: 1, tid: 2, comm: 'a', syscall: 'read', ret: 3, durNs: 7 }]);
});

test('a missing column is a CaptureError naming the file, line 1 and the column', async () => {
  await assert.rejects(read('ts_ns,pid,comm,syscall,ret,dur_ns\n1,1,a,read,0,1\n'), (e: unknown) => {
    assert.ok(e instanceof CaptureError);
    assert.equal(e.file, 'x.csv');
    assert.equal(e.line, 1);
    assert.match(e.message, /missing tid/);
    return true;
  });
});

test('bad rows are counted with their line and reason; good rows around them are kept', async () => {
  const { records, problems } = await read(
    [
      'ts_ns,pid,tid,comm,syscall,ret,dur_ns',
      '100,1,1,a,read,0,1',
      '101,1,1,a,read,0',
      '102,1,1,"a,read,0,1',
      '',
      '10.5,1,1,a,read,0,1',
      '104,1,1,a,read,zero,1',
      '105,1,1,"a ""b""",write,1,1',
      '',
    ].join('\n'),
  );
  assert.deepEqual(records.map((r) => [r.nsec, r.comm, r.syscall]), [[100, 'a', 'read'], [105, 'a "b"', 'write']]);
  assert.deepEqual(
    problems.examples.map((p) => [p.line, p.reason]),
    [
      [3, CSV_SKIP.fieldCount],
      [4, CSV_SKIP.malformed],
      [5, CSV_SKIP.empty],
      [6, COLUMN_SKIP.ts],
      [7, COLUMN_SKIP.ret],
    ],
  );
});

test('round trip keeps every field exactly, comms with commas and quotes included', async () => {
  const records = sampleRecords(400, 41, 8000);
  const { back, text, problems } = await roundTrip(records, 'csv', 'ns');
  assert.equal(problems.total(), 0);
  assert.equal(text.split('\n')[0], 'ts_ns,pid,tid,comm,syscall,ret,dur_ns');
  assert.ok(text.includes('"a,b""c"'), 'a comm with a comma and a quote is quoted');
  assert.deepEqual(back, records);
});
