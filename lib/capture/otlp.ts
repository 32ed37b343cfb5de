/**
 * OTLP/JSON traces (what an OpenTelemetry collector's file exporter or an OTLP/HTTP JSON request
 * holds): `{"resourceSpans":[{"resource":{"attributes":[…]},"scopeSpans":[{"spans":[…]}]}]}`.
 * Times are ns since the epoch, as decimal strings.
 */
import { writeFile } from 'node:fs/promises';
import { CaptureError, type ProblemLog } from './problems';
import { OTLP_KINDS, parseSpanKind, processFromTags, processKey, type SpanRecord } from './spans';
import { JsonFields, parseJsonText, readTextFile } from './text';

/** Keys whose bare-number values are read from their digits (ns since the epoch overflow a double). */
const EXACT_KEYS = ['startTimeUnixNano', 'endTimeUnixNano'];

/** Reads an OTLP/JSON file (see parseOtlp). */
export async function readOtlpFile(path: string, problems: ProblemLog): Promise<SpanRecord[]> {
  return parseOtlp(await readTextFile(path), path, problems);
}

/**
 * Parses OTLP/JSON text: one `{"resourceSpans": …}` document, or one per line (the collector's
 * file exporter). Resource attributes give service.name (required), host.name,
 * service.instance.id and process.pid; `scopeSpans` (or the older `instrumentationLibrarySpans`)
 * give the spans. `kind` may be a number (0..5) or "SPAN_KIND_…"; an unknown kind is counted in
 * `problems` and read as ''; a span ending before it starts is counted and its end set to its start.
 */
export function parseOtlp(text: string, file: string, problems: ProblemLog): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const doc of documents(text, file)) {
    for (const rs of doc.array('resourceSpans')) {
      const attrs = rs.has('resource') ? attributeMap(rs.object('resource').array('attributes', true)) : new Map<string, unknown>();
      const service = attrs.get('service.name');
      if (typeof service !== 'string') {
        throw new CaptureError(file, null, `a "service.name" string attribute in field "${rs.path}.resource.attributes"`, service === undefined ? 'none' : JSON.stringify(service));
      }
      const process = processFromTags(attrs);
      const scopes = [...rs.array('scopeSpans', true), ...rs.array('instrumentationLibrarySpans', true)];
      for (const span of scopes.flatMap((s) => s.array('spans', true))) {
        const kind = span.has('kind') ? parseSpanKind(span.value.kind) : '';
        if (kind === null) problems.add(file, 0, 'unknown span kind (read as "")', `${span.path}: ${String(span.value.kind)}`);
        const startNs = span.bigint('startTimeUnixNano', 'ns since the epoch as a string of digits');
        let endNs = span.bigint('endTimeUnixNano', 'ns since the epoch as a string of digits');
        if (endNs < startNs) {
          problems.add(file, 0, 'span ends before it starts (end set to start)', span.path);
          endNs = startNs;
        }
        out.push({
          traceId: span.string('traceId'),
          spanId: span.string('spanId'),
          parentId: span.optionalString('parentSpanId') ?? '',
          operation: span.string('name'),
          service,
          kind: kind ?? '',
          startNs,
          endNs,
          process,
        });
      }
    }
  }
  return out;
}

/**
 * Formats spans as OTLP/JSON: one resourceSpans entry per (service, host, instance, pid) in order
 * of first appearance, kinds as enum numbers, times as decimal strings.
 */
export function formatOtlp(spans: Iterable<SpanRecord>): string {
  const resources = new Map<string, { resource: object; spans: object[] }>();
  for (const s of spans) {
    const key = processKey(s);
    let r = resources.get(key);
    if (r === undefined) {
      r = { resource: { attributes: resourceAttributes(s) }, spans: [] };
      resources.set(key, r);
    }
    r.spans.push({
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentId,
      name: s.operation,
      kind: OTLP_KINDS.indexOf(s.kind),
      startTimeUnixNano: s.startNs.toString(),
      endTimeUnixNano: s.endNs.toString(),
      attributes: [],
    });
  }
  const resourceSpans = [...resources.values()].map((r) => ({
    resource: r.resource,
    scopeSpans: [{ scope: { name: 'deepstitch-kit' }, spans: r.spans }],
  }));
  return JSON.stringify({ resourceSpans });
}

/** Writes spans as an OTLP/JSON file (see formatOtlp). */
export async function writeOtlpFile(path: string, spans: Iterable<SpanRecord>): Promise<void> {
  await writeFile(path, formatOtlp(spans));
}

/** The JSON documents of the file: the whole text, or one per line when each line is one. */
function documents(text: string, file: string): JsonFields[] {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  const rest = lines.slice(first + 1).some((l) => l.trim() !== '');
  if (first >= 0 && rest && parsesAsObject(lines[first])) {
    const docs: JsonFields[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      docs.push(JsonFields.root(file, parseJsonText(file, line, EXACT_KEYS, i + 1)));
    });
    return docs;
  }
  return [JsonFields.root(file, parseJsonText(file, text, EXACT_KEYS))];
}

function parsesAsObject(line: string): boolean {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** Attribute list → key → plain value (AnyValue's stringValue, intValue, boolValue, doubleValue). */
function attributeMap(attrs: JsonFields[]): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (const a of attrs) {
    const v = a.has('value') ? a.object('value').value : {};
    const value = v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
    map.set(a.string('key'), value);
  }
  return map;
}

function resourceAttributes(s: SpanRecord): object[] {
  const { host, instance, pid } = s.process;
  const attrs: object[] = [{ key: 'service.name', value: { stringValue: s.service } }];
  if (host !== null) attrs.push({ key: 'host.name', value: { stringValue: host } });
  if (instance !== null) attrs.push({ key: 'service.instance.id', value: { stringValue: instance } });
  if (pid !== null) attrs.push({ key: 'process.pid', value: { intValue: String(pid) } });
  return attrs;
}
