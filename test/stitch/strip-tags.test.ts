/**
 * Stitching never reads the serving process or thread from the tracer's tags: a capture whose span
 * files (Jaeger and OTLP JSON) lose every such tag, reloaded with loadCapture, stitches the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCapture } from '../../lib/capture/load';
import { formatOtlp } from '../../lib/capture/otlp';
import { readJaegerFile } from '../../lib/capture/jaeger';
import { ProblemLog } from '../../lib/capture/problems';
import { analyseIsolated, stitchCapture, trainIdleModels, trainTraceModels } from '../../lib/stitch/index';

const DATA = join(__dirname, '..', '..', 'data', 'sockshop');
const ISOLATED = join(DATA, 'sockshop-sim-isolated-get-login');

/** Tags that name the serving host, process, thread, replica or peer. */
const IDENTITY = /^(hostname|host\.name|host|pid|process\.pid|thread\.id|thread\.name|ip|instance|service\.instance\.id|k8s\..*|container\..*|peer\..*|net\.peer\..*|net\.host\..*|server\.address|server\.port|client\.address|client\.port|network\.peer\..*|network\.local\..*)$/;

type Tagged = { key: string };
const keep = (tags: Tagged[] | undefined) => (tags ?? []).filter((t) => !IDENTITY.test(t.key));

function stripJaeger(text: string): { text: string; removed: number } {
  const doc = JSON.parse(text) as { data: { spans: { tags?: Tagged[] }[]; processes: Record<string, { tags?: Tagged[] }> }[] };
  let removed = 0;
  const strip = (o: { tags?: Tagged[] }) => {
    const kept = keep(o.tags);
    removed += (o.tags?.length ?? 0) - kept.length;
    o.tags = kept;
  };
  for (const t of doc.data) {
    t.spans.forEach(strip);
    Object.values(t.processes).forEach(strip);
  }
  return { text: JSON.stringify(doc), removed };
}

function stripOtlp(text: string): { text: string; removed: number } {
  const doc = JSON.parse(text) as { resourceSpans: { resource: { attributes: Tagged[] }; scopeSpans: { spans: { attributes?: Tagged[] }[] }[] }[] };
  let removed = 0;
  for (const rs of doc.resourceSpans) {
    const kept = keep(rs.resource.attributes);
    removed += rs.resource.attributes.length - kept.length;
    rs.resource.attributes = kept;
    for (const ss of rs.scopeSpans) for (const s of ss.spans) {
      const k = keep(s.attributes);
      removed += (s.attributes?.length ?? 0) - k.length;
      s.attributes = k;
    }
  }
  return { text: JSON.stringify(doc), removed };
}

test('stripping every identity tag from the Jaeger and OTLP span files changes no stitching', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'strip-tags-'));
  try {
    const manifest = JSON.parse(readFileSync(join(ISOLATED, 'manifest.json'), 'utf8')) as { traces: { path: string; format: string }[] };
    const [entry] = manifest.traces;
    // A copy with stripped Jaeger JSON, and one whose spans are stripped OTLP JSON.
    const jaegerDir = join(tmp, 'jaeger');
    cpSync(ISOLATED, jaegerDir, { recursive: true });
    const jaeger = stripJaeger(readFileSync(join(ISOLATED, entry.path), 'utf8'));
    writeFileSync(join(jaegerDir, entry.path), jaeger.text);
    const otlpDir = join(tmp, 'otlp');
    cpSync(ISOLATED, otlpDir, { recursive: true });
    rmSync(join(otlpDir, entry.path));
    const records = await readJaegerFile(join(ISOLATED, entry.path), new ProblemLog());
    const otlp = stripOtlp(formatOtlp(records));
    writeFileSync(join(otlpDir, 'traces', 'spans.otlp.json'), otlp.text);
    writeFileSync(join(otlpDir, 'manifest.json'), JSON.stringify({ ...manifest, traces: [{ path: 'traces/spans.otlp.json', format: 'otlp' }] }));
    assert.ok(jaeger.removed > 0 && otlp.removed > 0, 'the files had identity tags to strip');

    const original = await loadCapture(ISOLATED);
    const captures = [original, await loadCapture(jaegerDir), await loadCapture(otlpDir)];
    for (const c of captures.slice(1)) {
      const rows = c.spans.objects() as { host: string | null; pid: number | null; instance: string | null }[];
      assert.ok(rows.every((r) => r.host === null && r.pid === null && r.instance === null), 'the reloaded spans name no process');
      assert.equal(c.spans.numRows(), original.spans.numRows());
    }
    const idle = await trainIdleModels((await loadCapture(join(DATA, 'sockshop-sim-idle'))).syscalls, { scorer: 'ngram' });
    const results = [];
    for (const c of captures) {
      const iso = await analyseIsolated(c, idle.models);
      const trace = await trainTraceModels(iso.sequences, { scorer: 'ngram' });
      // The capture stitched as if it were live: every span gets its thread from the kernel layer only.
      const live = await stitchCapture(c, idle.models, iso.profiles, trace.models);
      results.push({ profile: iso.profiles.table.objects(), stitched: live.stitched.objects() });
    }
    assert.ok((results[0].stitched as { status: string }[]).some((r) => r.status === 'stitched'));
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual(results[2], results[0]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
