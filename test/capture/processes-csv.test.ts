import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCsvField, readProcesses, readTruth, splitCsvLine, writeProcesses, writeTruth } from '../../lib/capture/csv';
import { ProblemLog } from '../../lib/capture/problems';

test('splitCsvLine follows RFC 4180 and rejects malformed lines', () => {
  assert.deepEqual(splitCsvLine('a,b,c'), ['a', 'b', 'c']);
  assert.deepEqual(splitCsvLine('a,,c,'), ['a', '', 'c', '']);
  assert.deepEqual(splitCsvLine(''), ['']);
  assert.deepEqual(splitCsvLine('"x, y","say ""hi""",z\r'), ['x, y', 'say "hi"', 'z']);
  assert.deepEqual(splitCsvLine('"",""""'), ['', '"']);
  assert.equal(splitCsvLine('"open,b'), null); // unterminated quote
  assert.equal(splitCsvLine('"a"b,c'), null); // text after the closing quote
  assert.equal(splitCsvLine('a"b,c'), null); // quote inside an unquoted field
});

test('formatCsvField quotes only what needs it, and splitCsvLine reads it back', () => {
  const values = ['plain', 'a,b', 'say "hi"', '', 'x\ry'];
  const line = values.map(formatCsvField).join(',');
  assert.equal(line, 'plain,"a,b","say ""hi""",,"x\ry"');
  assert.deepEqual(splitCsvLine(line), values);
  assert.equal(formatCsvField(null), '');
  assert.equal(formatCsvField(42), '42');
});

test('readProcesses: columns in any order; bad rows counted with file:line, not dropped silently', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'csv-'));
  const path = join(dir, 'processes.csv');
  await writeFile(path, [
    'service,host,pid,runtime,instance,extra',
    'front,node-1,4242,go,"front-7d9f,a",x',
    'items,node-2,77,jvm,items-1,x', // unknown runtime: kept as other
    'items,node-2,seven,java,items-1,x', // bad pid
    'front,node-1,4242,go,front-dup,x', // repeated (host, pid)
    '"broken,node-1,1,go,i,x', // unterminated quote
    'short,row',
    '',
  ].join('\n'));
  const problems = new ProblemLog();
  const t = await readProcesses(path, problems);
  assert.deepEqual(t.objects(), [
    { host: 'node-1', pid: 4242, service: 'front', instance: 'front-7d9f,a', runtime: 'go' },
    { host: 'node-2', pid: 77, service: 'items', instance: 'items-1', runtime: 'other' },
  ]);
  assert.deepEqual(problems.examples.map((p) => [p.line, p.reason]).sort((a, b) => (a[0] as number) - (b[0] as number)), [
    [3, 'unknown runtime: read as "other"'],
    [4, 'pid is not a non-negative integer'],
    [5, 'repeated (host, pid): first row kept'],
    [6, 'malformed CSV line'],
    [7, 'expected 6 fields'],
  ]);
  assert.ok(problems.examples.every((p) => p.file === path));
});

test('a missing header column is a CaptureError at line 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'csv-'));
  const path = join(dir, 'processes.csv');
  await writeFile(path, 'host,pid,service,runtime\nnode-1,1,a,go\n');
  await assert.rejects(readProcesses(path, new ProblemLog()), /processes\.csv:1: expected a header with the columns host,pid,service,instance,runtime, found "host,pid,service,runtime" \(missing instance\)/);
  await writeFile(path, '');
  await assert.rejects(readProcesses(path, new ProblemLog()), /found an empty file/);
});

test('processes and truth round-trip through write and read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'csv-'));
  const problems = new ProblemLog();
  const src = join(dir, 'truth-in.csv');
  await writeFile(src, 'trace_id,span_id,host,pid,tid\nabc,"s,1",node-1,10,11\nabc,s2,node-1,10,x\n');
  const truth = await readTruth(src, problems);
  assert.deepEqual(truth.objects(), [{ trace_id: 'abc', span_id: 's,1', host: 'node-1', pid: 10, tid: 11 }]);
  assert.equal(problems.total('pid or tid is not an integer'), 1);
  await writeTruth(join(dir, 'truth.csv'), truth);
  assert.equal(await readFile(join(dir, 'truth.csv'), 'utf8'), 'trace_id,span_id,host,pid,tid\nabc,"s,1",node-1,10,11\n');
  assert.deepEqual((await readTruth(join(dir, 'truth.csv'), problems)).objects(), truth.objects());

  const procSrc = join(dir, 'p.csv');
  await writeFile(procSrc, 'host,pid,service,instance,runtime\nnode-1,1,a,a-1,go\nnode-2,2,b,,python\n');
  const processes = await readProcesses(procSrc, problems);
  await writeProcesses(join(dir, 'processes.csv'), processes);
  assert.deepEqual((await readProcesses(join(dir, 'processes.csv'), problems)).objects(), processes.objects());
});
