/**
 * Jaeger JSON, as the query API (`/api/traces`) and the UI's "Download JSON" give it:
 * `{"data":[{traceID, spans:[…], processes:{p1:{serviceName, tags}}}]}`. Span times are µs.
 */
import { writeFile } from 'node:fs/promises';
import { CaptureError, type ProblemLog } from './problems';
import { processFromTags, parseSpanKind, processKey, type SpanRecord } from './spans';
import { describeJson, JsonFields, parseJsonText, readTextFile } from './text';

/** Reads a Jaeger JSON file (see parseJaeger). */
export async function readJaegerFile(path: string, problems: ProblemLog): Promise<SpanRecord[]> {
  return parseJaeger(await readTextFile(path), path, problems);
}

/**
 * Parses Jaeger JSON text: `{"data": [trace, …]}`, a single trace object or an array of traces.
 * A span's parent is its CHILD_OF reference, else its first reference (else the legacy
 * `parentSpanID`). Its service and process tags come from `processes[processID]` (or an
 * embedded `process`). Missing required fields throw CaptureError; an unknown span.kind is
 * counted in `problems` and read as ''.
 */
export function parseJaeger(text: string, file: string, problems: ProblemLog): SpanRecord[] {
  const json = parseJsonText(file, text);
  let traces: JsonFields[];
  if (Array.isArray(json)) traces = JsonFields.items(file, json, '');
  else {
    const root = JsonFields.root(file, json);
    if (root.has('data')) traces = root.array('data');
    else if (root.has('spans')) traces = [root];
    else throw new CaptureError(file, null, 'Jaeger JSON: an object with "data" (an array of traces), one trace with "spans", or an array of traces', describeJson(json));
  }
  const out: SpanRecord[] = [];
  for (const trace of traces) {
    const processes = trace.has('processes') ? trace.object('processes') : null;
    const seen = new Map<string, { service: string; process: SpanRecord['process'] }>();
    const processOf = (p: JsonFields) => ({ service: p.string('serviceName'), process: processFromTags(tagMap(p.array('tags', true))) });
    for (const span of trace.array('spans')) {
      let proc;
      if (span.has('process')) proc = processOf(span.object('process'));
      else {
        const id = span.string('processID');
        proc = seen.get(id);
        if (proc === undefined) {
          if (processes === null) trace.fail('processes', `an object holding process "${id}"`);
          proc = processOf(processes.object(id));
          seen.set(id, proc);
        }
      }
      const tags = tagMap(span.array('tags', true));
      const kindTag = tags.get('span.kind');
      const kind = kindTag === undefined ? '' : parseSpanKind(kindTag);
      if (kind === null) problems.add(file, 0, 'unknown span.kind (read as "")', `${span.path}: ${String(kindTag)}`);
      const startUs = span.bigint('startTime', 'an integer count of µs since the epoch');
      const durationUs = span.bigint('duration', 'an integer count of µs');
      if (durationUs < 0n) span.fail('duration', 'a count of µs >= 0');
      out.push({
        traceId: span.string('traceID'),
        spanId: span.string('spanID'),
        parentId: parentOf(span),
        operation: span.string('operationName'),
        service: proc.service,
        kind: kind ?? '',
        startNs: startUs * 1000n,
        endNs: (startUs + durationUs) * 1000n,
        process: proc.process,
      });
    }
  }
  return out;
}

/**
 * Formats spans as Jaeger JSON: one `data[]` entry per trace (in order of first appearance),
 * processes deduplicated per (service, host, instance, pid) within a trace, with the tags
 * `hostname` (instance), `host.name` (host) and `pid`. Times are cut to whole µs.
 */
export function formatJaeger(spans: Iterable<SpanRecord>): string {
  const traces = new Map<string, { spans: object[]; processes: Record<string, object>; ids: Map<string, string> }>();
  for (const s of spans) {
    let trace = traces.get(s.traceId);
    if (trace === undefined) {
      trace = { spans: [], processes: {}, ids: new Map() };
      traces.set(s.traceId, trace);
    }
    const key = processKey(s);
    let processID = trace.ids.get(key);
    if (processID === undefined) {
      processID = `p${trace.ids.size + 1}`;
      trace.ids.set(key, processID);
      trace.processes[processID] = { serviceName: s.service, tags: processTags(s) };
    }
    const startUs = s.startNs / 1000n;
    trace.spans.push({
      traceID: s.traceId,
      spanID: s.spanId,
      operationName: s.operation,
      references: s.parentId === '' ? [] : [{ refType: 'CHILD_OF', traceID: s.traceId, spanID: s.parentId }],
      startTime: Number(startUs),
      duration: Number(s.endNs / 1000n - startUs),
      tags: s.kind === '' ? [] : [{ key: 'span.kind', type: 'string', value: s.kind }],
      logs: [],
      processID,
      warnings: null,
    });
  }
  const data = [...traces].map(([traceID, t]) => ({ traceID, spans: t.spans, processes: t.processes, warnings: null }));
  return JSON.stringify({ data, total: 0, limit: 0, offset: 0, errors: null });
}

/** Writes spans as a Jaeger JSON file (see formatJaeger). */
export async function writeJaegerFile(path: string, spans: Iterable<SpanRecord>): Promise<void> {
  await writeFile(path, formatJaeger(spans));
}

function parentOf(span: JsonFields): string {
  const refs = span.array('references', true);
  const ref = refs.find((r) => r.value.refType === 'CHILD_OF') ?? refs[0];
  if (ref !== undefined) return ref.string('spanID');
  return span.optionalString('parentSpanID') ?? '';
}

function tagMap(tags: JsonFields[]): Map<string, unknown> {
  return new Map(tags.map((t) => [t.string('key'), t.value.value]));
}

function processTags(s: SpanRecord): object[] {
  const { host, instance, pid } = s.process;
  const tags: object[] = [];
  if (instance !== null) tags.push({ key: 'hostname', type: 'string', value: instance });
  if (host !== null) tags.push({ key: 'host.name', type: 'string', value: host });
  if (pid !== null) tags.push({ key: 'pid', type: 'int64', value: pid });
  return tags;
}
