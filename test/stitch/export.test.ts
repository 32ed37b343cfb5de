/** Export: Jaeger JSON and OTLP JSON with the syscall sequences as tags, read back by lib/capture's readers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJaeger } from '../../lib/capture/jaeger';
import { parseOtlp } from '../../lib/capture/otlp';
import { ProblemLog } from '../../lib/capture/problems';
import { analyseIsolated, stitchCapture, toJaeger, toOtlp, trainIdleModels, trainTraceModels } from '../../lib/stitch/index';
import { idleSyscalls, isolatedCapture, liveCapture } from './figure2';

const ORIGIN = 1_732_612_345_000_000_000n;

async function figure2() {
  const opts = { toleranceNs: 1000 };
  const idle = await trainIdleModels(idleSyscalls(), { scorer: 'ngram', n: 3 });
  const iso = await analyseIsolated(isolatedCapture(3), idle.models, opts);
  const trace = await trainTraceModels(iso.sequences, { scorer: 'ngram', n: 3 });
  const live = liveCapture();
  return { live, stitched: (await stitchCapture(live, idle.models, iso.profiles, trace.models, opts)).stitched };
}

test('Jaeger JSON: the spans read back unchanged, each with its stitched thread and syscalls as tags', async () => {
  const { live, stitched } = await figure2();
  const text = toJaeger(stitched, live.spans, ORIGIN);
  const problems = new ProblemLog();
  const back = parseJaeger(text, 'stitched.json', problems);
  assert.equal(problems.total(), 0);
  assert.deepEqual(back.map((s) => [s.spanId, s.parentId, s.service, s.startNs - ORIGIN, s.endNs - ORIGIN, s.process.pid]), [
    ['T-a', '', 'A', 10_000_000n, 10_100_000n, 100],
    ['T-b', 'T-a', 'B', 10_010_000n, 10_090_000n, 200],
    ['T-c', 'T-b', 'C', 10_030_000n, 10_060_000n, 300],
  ]);
  const json = JSON.parse(text) as { data: { spans: { spanID: string; tags: { key: string; type: string; value: unknown }[] }[] }[] };
  const tags = Object.fromEntries(json.data[0].spans.find((s) => s.spanID === 'T-b')!.tags.map((t) => [t.key, [t.type, t.value]]));
  assert.deepEqual(tags['deepstitch.status'], ['string', 'stitched']);
  assert.deepEqual(tags['deepstitch.tid'], ['int64', 202]);
  assert.deepEqual(tags['deepstitch.thread'], ['string', 'h/200/202']);
  assert.deepEqual(tags.syscalls, ['string', 'r w r w']);
  assert.deepEqual(tags['syscalls.count'], ['int64', 4]);
  assert.deepEqual(tags['syscalls.counts'], ['string', 'r=2 w=2']);
  assert.deepEqual(tags['deepstitch.likelihood'], ['float64', 1]);
  // The span.kind tag formatJaeger writes is kept.
  assert.deepEqual(tags['span.kind'], ['string', 'server']);
});

test('OTLP JSON: the same spans and tags as attributes (int64 as decimal strings)', async () => {
  const { live, stitched } = await figure2();
  const text = toOtlp(stitched, live.spans, ORIGIN);
  const problems = new ProblemLog();
  const back = parseOtlp(text, 'stitched.otlp.json', problems);
  assert.equal(problems.total(), 0);
  assert.deepEqual(back.map((s) => [s.spanId, s.startNs - ORIGIN]).sort(), [['T-a', 10_000_000n], ['T-b', 10_010_000n], ['T-c', 10_030_000n]]);
  const json = JSON.parse(text) as { resourceSpans: { scopeSpans: { spans: { spanId: string; attributes: { key: string; value: Record<string, unknown> }[] }[] }[] }[] };
  const span = json.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).find((s) => s.spanId === 'T-c')!;
  const attrs = Object.fromEntries(span.attributes.map((a) => [a.key, a.value]));
  assert.deepEqual(attrs['deepstitch.tid'], { intValue: '301' });
  assert.deepEqual(attrs.syscalls, { stringValue: 'r w' });
  assert.deepEqual(attrs['deepstitch.likelihood'], { doubleValue: 1 });
});
