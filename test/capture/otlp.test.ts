import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatOtlp, parseOtlp, readOtlpFile } from '../../lib/capture/otlp';
import { CaptureError, ProblemLog } from '../../lib/capture/problems';

const FIXTURES = join(__dirname, '..', 'fixtures', 'otlp');

test('reads resource attributes, ids, kinds (numbers and names) and exact ns times', async () => {
  const problems = new ProblemLog();
  const spans = await readOtlpFile(join(FIXTURES, 'two-services.json'), problems);
  assert.equal(spans.length, 3);
  assert.deepEqual(spans[0], {
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
    parentId: '',
    operation: 'GET /orders',
    service: 'front',
    kind: 'server',
    startNs: 1732612345123456789n,
    endNs: 1732612345128777001n,
    process: { host: 'node-1', instance: 'front-7d9f-abcde', pid: 4242 },
  });
  // The file gives this span's times as bare JSON numbers: a double would round them to ...600000
  // and ...601000; they must come through digit for digit.
  assert.equal(spans[1].startNs, 1732612345123600001n);
  assert.equal(spans[1].endNs, 1732612345127600999n);
  assert.equal(spans[1].kind, 'client');
  assert.equal(spans[1].parentId, 'eee19b7ec3c1b174');
  assert.equal(spans[2].kind, 'server');
  assert.equal(spans[2].service, 'items');
  // intValue given as a bare number (77) is accepted as well as the string form
  assert.deepEqual(spans[2].process, { host: 'node-2', instance: null, pid: 77 });
  assert.equal(problems.total(), 0);
});

test('reads the file exporter shape (one document per line) like the single document', async () => {
  const whole = await readOtlpFile(join(FIXTURES, 'two-services.json'), new ProblemLog());
  const lines = await readOtlpFile(join(FIXTURES, 'file-exporter.jsonl'), new ProblemLog());
  assert.deepEqual(lines, whole);
});

test('broken JSON is a CaptureError with the file and line; in JSON lines, the bad line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'otlp-'));
  const broken = join(dir, 'broken.json');
  await writeFile(broken, '{\n "resourceSpans": [\n  {"resource": }\n ]\n}');
  await assert.rejects(readOtlpFile(broken, new ProblemLog()), (e: unknown) => e instanceof CaptureError && e.file === broken && /expected valid JSON/.test(e.message));
  const jsonl = join(dir, 'lines.jsonl');
  const good = readFileSync(join(FIXTURES, 'file-exporter.jsonl'), 'utf8').split('\n')[0];
  await writeFile(jsonl, `${good}\n${good}\n{"resourceSpans": [\n`);
  await assert.rejects(readOtlpFile(jsonl, new ProblemLog()), (e: unknown) => e instanceof CaptureError && e.line === 3);
  const empty = join(dir, 'empty.json');
  await writeFile(empty, '\n');
  await assert.rejects(readOtlpFile(empty, new ProblemLog()), /expected JSON, found an empty file/);
  const latin1 = join(dir, 'latin1.json');
  await writeFile(latin1, Buffer.from([0x7b, 0xe9, 0x7d]));
  await assert.rejects(readOtlpFile(latin1, new ProblemLog()), /latin1\.json:1: expected UTF-8 text/);
});

test('a missing service.name or time is a CaptureError naming it', () => {
  const span = { traceId: 'aa', spanId: 'bb', name: 'op', startTimeUnixNano: '1', endTimeUnixNano: '2' };
  const noService = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [span] }] }] };
  assert.throws(() => parseOtlp(JSON.stringify(noService), 'o.json', new ProblemLog()),
    { message: 'o.json: expected a "service.name" string attribute in field "resourceSpans[0].resource.attributes", found none' });
  const attrs = [{ key: 'service.name', value: { stringValue: 's' } }];
  const noTime = { resourceSpans: [{ resource: { attributes: attrs }, scopeSpans: [{ spans: [span, { ...span, startTimeUnixNano: undefined }] }] }] };
  assert.throws(() => parseOtlp(JSON.stringify(noTime), 'o.json', new ProblemLog()),
    /field "resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]\.startTimeUnixNano" \(ns since the epoch as a string of digits\), found nothing/);
  const floatTime = { resourceSpans: [{ resource: { attributes: attrs }, scopeSpans: [{ spans: [{ ...span, endTimeUnixNano: '2.5' }] }] }] };
  assert.throws(() => parseOtlp(JSON.stringify(floatTime), 'o.json', new ProblemLog()), /endTimeUnixNano/);
});

test('an unknown kind and a span ending before it starts are counted', () => {
  const attrs = [{ key: 'service.name', value: { stringValue: 's' } }];
  const doc = { resourceSpans: [{ resource: { attributes: attrs }, scopeSpans: [{ spans: [
    { traceId: 'aa', spanId: 'b1', name: 'op', kind: 9, startTimeUnixNano: '10', endTimeUnixNano: '20' },
    { traceId: 'aa', spanId: 'b2', name: 'op', kind: 'SPAN_KIND_INTERNAL', startTimeUnixNano: '30', endTimeUnixNano: '25' },
  ] }] }] };
  const problems = new ProblemLog();
  const [a, b] = parseOtlp(JSON.stringify(doc), 'o.json', problems);
  assert.equal(a.kind, '');
  assert.equal(b.kind, 'internal');
  assert.equal(b.endNs, 30n);
  assert.equal(problems.total('unknown span kind (read as "")'), 1);
  assert.equal(problems.total('span ends before it starts (end set to start)'), 1);
});

test('formatOtlp groups spans per resource, writes times as strings and reads back the same', async () => {
  const spans = await readOtlpFile(join(FIXTURES, 'two-services.json'), new ProblemLog());
  const text = formatOtlp(spans);
  const doc = JSON.parse(text);
  assert.equal(doc.resourceSpans.length, 2);
  const first = doc.resourceSpans[0].scopeSpans[0].spans;
  assert.equal(first.length, 2);
  assert.equal(first[1].startTimeUnixNano, '1732612345123600001');
  assert.equal(first[1].kind, 3); // SPAN_KIND_CLIENT
  assert.deepEqual(doc.resourceSpans[1].resource.attributes, [
    { key: 'service.name', value: { stringValue: 'items' } },
    { key: 'host.name', value: { stringValue: 'node-2' } },
    { key: 'process.pid', value: { intValue: '77' } },
  ]);
  assert.deepEqual(parseOtlp(text, 'again.json', new ProblemLog()), spans);
});
