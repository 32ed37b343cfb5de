/**
 * Export of stitched traces (paper §5): the application-layer traces with each span's stitching
 * result and syscall sequence as span tags, in Jaeger JSON (what Jaeger UI's "JSON File" upload
 * opens) and in OTLP JSON. The traces are written by lib/capture's writers, then the tags added.
 * The stitched thread goes in deepstitch.* tags, not in the process tags (hostname, pid) or
 * thread.id: those mean ground truth to a reader, and a stitched export read back must not pass
 * for verified data.
 */
import { formatJaeger } from '../capture/jaeger';
import { formatOtlp } from '../capture/otlp';
import { spanRecords } from '../capture/spans';
import type { Table } from '../capture/types';
import { STITCHED } from './stitch';

/** A tag's value, typed as Jaeger types it. */
type TagValue = { type: 'string'; value: string } | { type: 'int64'; value: number } | { type: 'float64'; value: number };

/**
 * The tags of each stitched span, by "trace\0span": deepstitch.status; when stitched also
 * deepstitch.thread ("host/pid/tid"), deepstitch.host, deepstitch.pid, deepstitch.tid,
 * deepstitch.threads (when it has several), deepstitch.likelihood, deepstitch.candidates, syscalls
 * (the sequence, space-separated), syscalls.count, syscalls.counts ("read=3 write=2", most frequent
 * first).
 */
export function stitchTags(stitched: Table): Map<string, Map<string, TagValue>> {
  const cols = ['trace_id', 'span_id', 'status', 'thread', 'threads', 'host', 'pid', 'tid', 'likelihood', 'candidates', 'syscalls'].map((c) => stitched.array(c));
  const out = new Map<string, Map<string, TagValue>>();
  for (let r = 0; r < stitched.numRows(); r++) {
    const [trace, span, status, thread, threads, host, pid, tid, likelihood, candidates, syscalls] = cols.map((c) => c[r]);
    const tags = new Map<string, TagValue>([['deepstitch.status', { type: 'string', value: status as string }]]);
    if (status === STITCHED) {
      const calls = syscalls === '' ? [] : (syscalls as string).split(' ');
      tags.set('deepstitch.thread', { type: 'string', value: thread as string });
      tags.set('deepstitch.host', { type: 'string', value: host as string });
      tags.set('deepstitch.pid', { type: 'int64', value: pid as number });
      tags.set('deepstitch.tid', { type: 'int64', value: tid as number });
      if ((threads as string).includes(' ')) tags.set('deepstitch.threads', { type: 'string', value: threads as string });
      if (!Number.isNaN(likelihood)) tags.set('deepstitch.likelihood', { type: 'float64', value: likelihood as number });
      tags.set('deepstitch.candidates', { type: 'int64', value: candidates as number });
      tags.set('syscalls', { type: 'string', value: calls.join(' ') });
      tags.set('syscalls.count', { type: 'int64', value: calls.length });
      tags.set('syscalls.counts', { type: 'string', value: histogram(calls) });
    }
    out.set(`${trace}\u0000${span}`, tags);
  }
  return out;
}

/** The spans (a spans table on `originNs`) as Jaeger JSON, with the stitching tags (stitchTags) on the spans stitchTraces covered. */
export function toJaeger(stitched: Table, spans: Table, originNs: bigint): string {
  const tags = stitchTags(stitched);
  const json = JSON.parse(formatJaeger(spanRecords(spans, originNs))) as { data: { spans: { traceID: string; spanID: string; tags: object[] }[] }[] };
  for (const trace of json.data) {
    for (const span of trace.spans) {
      for (const [key, v] of tags.get(`${span.traceID}\u0000${span.spanID}`) ?? []) span.tags.push({ key, type: v.type, value: v.value });
    }
  }
  return JSON.stringify(json);
}

/** The same as OTLP JSON: the tags as span attributes (int64 as decimal strings, as OTLP JSON writes them). */
export function toOtlp(stitched: Table, spans: Table, originNs: bigint): string {
  const tags = stitchTags(stitched);
  type OtlpSpan = { traceId: string; spanId: string; attributes: object[] };
  const json = JSON.parse(formatOtlp(spanRecords(spans, originNs))) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
  for (const span of json.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))) {
    for (const [key, v] of tags.get(`${span.traceId}\u0000${span.spanId}`) ?? []) {
      const value = v.type === 'string' ? { stringValue: v.value } : v.type === 'int64' ? { intValue: String(v.value) } : { doubleValue: v.value };
      span.attributes.push({ key, value });
    }
  }
  return JSON.stringify(json);
}

/** "name=count" per distinct syscall, most frequent first, then by name. */
function histogram(calls: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([c, k]) => `${c}=${k}`)
    .join(' ');
}
