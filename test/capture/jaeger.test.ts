import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as aq from 'arquero';
import { formatJaeger, parseJaeger, readJaegerFile } from '../../lib/capture/jaeger';
import { CaptureError, ProblemLog } from '../../lib/capture/problems';
import { buildSpansTable, type SpanRecord } from '../../lib/capture/spans';

const FIXTURES = join(__dirname, '..', 'fixtures', 'jaeger');
const noProcesses = aq.table({ host: [], pid: [], service: [], instance: [], runtime: [] });

async function tempFile(name: string, content: string | Buffer): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'jaeger-')), name);
  await writeFile(path, content);
  return path;
}

test('reads the query API shape: ids, parent, µs times as exact ns, kind, process tags', async () => {
  const problems = new ProblemLog();
  const spans = await readJaegerFile(join(FIXTURES, 'query-api.json'), problems);
  assert.equal(spans.length, 4);
  const [root, client, server, health] = spans;
  assert.deepEqual(root, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    parentId: '',
    operation: 'GET /orders',
    service: 'front',
    kind: 'server',
    // startTime 1732612345123456 µs, duration 5321 µs
    startNs: 1732612345123456000n,
    endNs: 1732612345128777000n,
    // hostname is the instance (pod name); ip stands for the host
    process: { host: '10.0.0.5', instance: 'front-7d9f-abcde', pid: 4242 },
  });
  assert.equal(client.parentId, '00f067aa0ba902b7');
  assert.equal(client.kind, 'client');
  // FOLLOWS_FROM comes first in the file, but the CHILD_OF reference is the parent
  assert.equal(server.parentId, '53995c3f42cd8ad8');
  assert.equal(server.service, 'items');
  assert.deepEqual(server.process, { host: null, instance: 'items-5c6b-xyz12', pid: null });
  assert.equal(health.traceId, '7e1c5f2a9b3d4e60');
  assert.equal(health.endNs - health.startNs, 87_000n);
  assert.equal(problems.total(), 0);
});

test('accepts a single trace object and an array of traces', () => {
  const doc = JSON.parse(readFileSync(join(FIXTURES, 'query-api.json'), 'utf8'));
  const expected = parseJaeger(JSON.stringify(doc), 'a.json', new ProblemLog());
  const single = parseJaeger(JSON.stringify(doc.data[1]), 'b.json', new ProblemLog());
  assert.deepEqual(single, expected.slice(3));
  const array = parseJaeger(JSON.stringify(doc.data), 'c.json', new ProblemLog());
  assert.deepEqual(array, expected);
});

test('the first reference is the parent when none is CHILD_OF; an embedded process is read', () => {
  const trace = {
    traceID: 't1',
    spans: [{
      traceID: 't1', spanID: 's2', operationName: 'consume',
      references: [{ refType: 'FOLLOWS_FROM', traceID: 't1', spanID: 's1' }],
      startTime: 1, duration: 2, process: { serviceName: 'queue-master', tags: [{ key: 'host.name', type: 'string', value: 'node-3' }] },
    }],
  };
  const [span] = parseJaeger(JSON.stringify(trace), 'x.json', new ProblemLog());
  assert.equal(span.parentId, 's1');
  assert.equal(span.service, 'queue-master');
  assert.deepEqual(span.process, { host: 'node-3', instance: null, pid: null });
  assert.equal(span.startNs, 1000n);
  assert.equal(span.endNs, 3000n);
});

test('broken JSON is a CaptureError naming the file and the line', async () => {
  const path = await tempFile('broken.json', '{\n  "data": [\n    {"traceID": "a",, }\n  ]\n}\n');
  await assert.rejects(readJaegerFile(path, new ProblemLog()), (e: unknown) => {
    assert.ok(e instanceof CaptureError);
    assert.equal(e.file, path);
    assert.equal(e.line, 3);
    assert.match(e.message, /broken\.json:3: expected valid JSON/);
    return true;
  });
});

test('a missing required field is a CaptureError naming the field', () => {
  const doc = { data: [{ traceID: 't', spans: [
    { traceID: 't', spanID: 'a', operationName: 'x', references: [], startTime: 1, duration: 1, processID: 'p1' },
    { traceID: 't', spanID: 'b', references: [], startTime: 1, duration: 1, processID: 'p1' },
  ], processes: { p1: { serviceName: 's' } } }] };
  assert.throws(() => parseJaeger(JSON.stringify(doc), 'f.json', new ProblemLog()),
    { name: 'CaptureError', message: 'f.json: expected field "data[0].spans[1].operationName" (a string), found nothing' });
  doc.data[0].spans[1].operationName = 'y';
  doc.data[0].spans[1].processID = 'p9';
  assert.throws(() => parseJaeger(JSON.stringify(doc), 'f.json', new ProblemLog()), /field "data\[0\]\.processes\.p9" \(an object\)/);
  doc.data[0].spans[1].processID = 'p1';
  (doc.data[0].spans[1] as Record<string, unknown>).startTime = 1.5;
  assert.throws(() => parseJaeger(JSON.stringify(doc), 'f.json', new ProblemLog()), /field "data\[0\]\.spans\[1\]\.startTime" \(an integer count of µs/);
  assert.throws(() => parseJaeger('{"traces": []}', 'f.json', new ProblemLog()), /f\.json: expected Jaeger JSON.*found an object with keys traces/);
});

test('an empty file and invalid UTF-8 are CaptureErrors naming the file', async () => {
  const empty = await tempFile('empty.json', '');
  await assert.rejects(readJaegerFile(empty, new ProblemLog()), { name: 'CaptureError', message: `${empty}: expected JSON, found an empty file` });
  // 0xff is never valid in UTF-8; it sits on line 2, at byte offset 11 + 4 = 15
  const bad = await tempFile('latin1.json', Buffer.concat([Buffer.from('{"data": [\n"caf'), Buffer.from([0xff]), Buffer.from('"]}')]));
  await assert.rejects(readJaegerFile(bad, new ProblemLog()), (e: unknown) => {
    assert.ok(e instanceof CaptureError);
    assert.equal(e.line, 2);
    assert.match(e.message, /latin1\.json:2: expected UTF-8 text, found invalid UTF-8 at byte 15/);
    return true;
  });
});

test('an unknown span.kind is counted and read as empty', () => {
  const doc = { traceID: 't', spans: [{ traceID: 't', spanID: 'a', operationName: 'x', startTime: 5, duration: 0, processID: 'p1',
    tags: [{ key: 'span.kind', type: 'string', value: 'sideways' }] }], processes: { p1: { serviceName: 's', tags: [] } } };
  const problems = new ProblemLog();
  const [span] = parseJaeger(JSON.stringify(doc), 'k.json', problems);
  assert.equal(span.kind, '');
  assert.equal(problems.total('unknown span.kind (read as "")'), 1);
});

test('trace_type comes from the root (no parent), not from an earlier span whose parent is missing', async () => {
  const problems = new ProblemLog();
  const file = join(FIXTURES, 'orphans.json');
  const spans = await readJaegerFile(file, problems);
  const table = buildSpansTable(spans, spans.map(() => file), 1732612400000000000n, noProcesses, problems);
  // "lost child" (parent ff missing) starts at +100 µs, before the real root "POST /cart" at +200 µs
  assert.deepEqual(table.array('trace_type'), ['POST /cart', 'POST /cart', 'POST /cart']);
  assert.deepEqual(table.array('parent_id'), ['00000000000000ff', '', '0000000000000001']);
  assert.deepEqual(Array.from(table.array('start_ns')), [100_000, 200_000, 210_000]);
  assert.equal(problems.total('parent span not in the trace'), 1);
  assert.equal(problems.total('trace with several roots (trace_type from the earliest)'), 0);
  assert.deepEqual(table.array('host'), [null, null, null]);
});

test('a trace without a root takes trace_type from its earliest span whose parent is missing; of two roots, the earliest', () => {
  const span = (traceId: string, spanId: string, parentId: string, operation: string, startUs: bigint): SpanRecord => ({
    traceId, spanId, parentId, operation, service: 's', kind: '', startNs: startUs * 1000n, endNs: startUs * 1000n + 5000n,
    process: { host: null, instance: null, pid: null },
  });
  const spans = [
    // trace a: its root was not fetched; "b-side" (parent gone) starts before "a-side" (parent gone)
    span('a', '2', 'gone1', 'a-side', 30n), span('a', '3', 'gone2', 'b-side', 20n), span('a', '4', '3', 'child', 40n),
    // trace b: two roots, the later one first in the file
    span('b', '1', '', 'late root', 20n), span('b', '2', '', 'early root', 10n),
  ];
  const problems = new ProblemLog();
  const table = buildSpansTable(spans, spans.map(() => 'f.json'), 0n, noProcesses, problems);
  const types = Object.fromEntries((table.objects() as { trace_id: string; trace_type: string }[]).map((r) => [r.trace_id, r.trace_type]));
  assert.deepEqual(types, { a: 'b-side', b: 'early root' });
  assert.equal(problems.total('parent span not in the trace'), 2);
  assert.equal(problems.total('trace without a root span (trace_type from the earliest span whose parent is missing)'), 1);
  assert.equal(problems.total('trace with several roots (trace_type from the earliest)'), 1);
});

test('formatJaeger writes one data entry per trace, processes deduplicated, and reads back the same', async () => {
  const problems = new ProblemLog();
  const spans = await readJaegerFile(join(FIXTURES, 'query-api.json'), problems);
  const text = formatJaeger(spans);
  const doc = JSON.parse(text);
  assert.equal(doc.data.length, 2);
  assert.deepEqual(Object.keys(doc.data[0].processes), ['p1', 'p2']);
  assert.deepEqual(doc.data[0].spans.map((s: { processID: string }) => s.processID), ['p1', 'p1', 'p2']);
  assert.equal(doc.data[0].spans[0].startTime, 1732612345123456);
  assert.equal(doc.data[0].spans[0].duration, 5321);
  assert.deepEqual(parseJaeger(text, 'again.json', problems), spans);
  assert.equal(problems.total(), 0);
});
