/**
 * Spans as the trace readers give them (SpanRecord, absolute BigInt times) and the spans table
 * built from them: trace types, process join with processes.csv, times relative to the origin.
 */
import * as aq from 'arquero';
import type { ProblemLog } from './problems';
import type { Table } from './types';

/** Span kinds as the spans table holds them ('' when the trace does not say). */
export type SpanKind = 'server' | 'client' | 'producer' | 'consumer' | 'internal' | '';

/** The span kinds in OTLP's enum order (SPAN_KIND_UNSPECIFIED = 0 … SPAN_KIND_CONSUMER = 5). */
export const OTLP_KINDS: readonly SpanKind[] = ['', 'internal', 'server', 'client', 'producer', 'consumer'];

/**
 * What a span's process (Jaeger) or resource (OTLP) tags say about where it ran. For
 * verification only. `host` comes from `host.name` or `ip`; `instance` from
 * `service.instance.id` or Jaeger's `hostname` (the pod name, see CAPTURE-FORMAT.md).
 */
export interface ProcessTags {
  host: string | null;
  instance: string | null;
  pid: number | null;
}

/** One span as read from a trace file; times are epoch ns on the span clock. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** '' when the span names no parent. */
  parentId: string;
  operation: string;
  service: string;
  kind: SpanKind;
  startNs: bigint;
  endNs: bigint;
  process: ProcessTags;
}

/** Reads ProcessTags from a process's or resource's tags, given as key → value. */
export function processFromTags(tags: ReadonlyMap<string, unknown>): ProcessTags {
  const str = (key: string): string | null => {
    const v = tags.get(key);
    return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;
  };
  const pid = tags.get('pid') ?? tags.get('process.pid');
  const pidNumber = typeof pid === 'string' && /^\d{1,15}$/.test(pid) ? Number(pid) : pid;
  return {
    host: str('host.name') ?? str('ip'),
    instance: str('service.instance.id') ?? str('hostname'),
    pid: Number.isSafeInteger(pidNumber) ? (pidNumber as number) : null,
  };
}

/** Normalises a span kind tag ("server", "SPAN_KIND_SERVER", 2); null when it is none of them. */
export function parseSpanKind(value: unknown): SpanKind | null {
  if (typeof value === 'number') return OTLP_KINDS[value] ?? null;
  if (typeof value !== 'string') return null;
  const kind = value.toLowerCase().replace(/^span_kind_/, '');
  if (kind === 'unspecified') return '';
  return (OTLP_KINDS as readonly string[]).includes(kind) ? (kind as SpanKind) : null;
}

/**
 * Builds the spans table (columns in types.ts) from the spans of all trace files.
 * - A repeated (trace id, span id) keeps the first and is counted.
 * - trace_type is the operation of the trace's root: the span without a parent (parent_id ''),
 *   the earliest if several (counted as "trace with several roots"). A span whose parent is not
 *   in the trace is counted, and its parent_id kept as the file gives it; such a span gives the
 *   trace_type only when the trace has no root (the earliest of them; counted too).
 * - host, instance, pid: the process tags joined to processes.csv (the one process of the span's
 *   service that the tags match); the tags themselves when no single process matches; null
 *   where absent.
 * - start_ns, end_ns: ns from `originNs`. Rows sorted by start, then trace id, span id.
 * `files[i]` names the file of `spans[i]` for the problem log.
 */
export function buildSpansTable(spans: readonly SpanRecord[], files: readonly string[], originNs: bigint, processes: Table, problems: ProblemLog): Table {
  const kept = dedupe(spans, files, problems);
  const traceType = traceTypes(spans, files, kept, problems);
  const resolve = processResolver(processes);
  kept.sort((a, b) => {
    const sa = spans[a].startNs;
    const sb = spans[b].startNs;
    if (sa !== sb) return sa < sb ? -1 : 1;
    return compareStrings(spans[a].traceId, spans[b].traceId) || compareStrings(spans[a].spanId, spans[b].spanId);
  });
  const n = kept.length;
  const cols = {
    trace_id: new Array<string>(n), span_id: new Array<string>(n), parent_id: new Array<string>(n),
    trace_type: new Array<string>(n), operation: new Array<string>(n), service: new Array<string>(n),
    kind: new Array<string>(n), start_ns: new Float64Array(n), end_ns: new Float64Array(n),
    host: new Array<string | null>(n), instance: new Array<string | null>(n), pid: new Array<number | null>(n),
  };
  kept.forEach((i, r) => {
    const s = spans[i];
    const p = resolve(s.service, s.process);
    cols.trace_id[r] = s.traceId;
    cols.span_id[r] = s.spanId;
    cols.parent_id[r] = s.parentId;
    cols.trace_type[r] = traceType.get(s.traceId) ?? '';
    cols.operation[r] = s.operation;
    cols.service[r] = s.service;
    cols.kind[r] = s.kind;
    cols.start_ns[r] = Number(s.startNs - originNs);
    cols.end_ns[r] = Number(s.endNs - originNs);
    cols.host[r] = p.host;
    cols.instance[r] = p.instance;
    cols.pid[r] = p.pid;
  });
  return aq.table(cols);
}

/** The rows of a spans table as SpanRecords with absolute times (for the trace writers). */
export function spanRecords(spans: Table, originNs: bigint): SpanRecord[] {
  return spans.objects().map((row, i) => {
    const r = row as Record<string, unknown>;
    for (const c of ['start_ns', 'end_ns']) {
      if (!Number.isSafeInteger(r[c])) throw new RangeError(`spans row ${i}: ${c} is ${String(r[c])}, not an integer count of ns`);
    }
    return {
      traceId: r.trace_id as string,
      spanId: r.span_id as string,
      parentId: (r.parent_id as string | null) ?? '',
      operation: r.operation as string,
      service: r.service as string,
      kind: (parseSpanKind(r.kind) ?? '') as SpanKind,
      startNs: originNs + BigInt(r.start_ns as number),
      endNs: originNs + BigInt(r.end_ns as number),
      process: { host: (r.host as string | null) ?? null, instance: (r.instance as string | null) ?? null, pid: (r.pid as number | null) ?? null },
    };
  });
}

/** A key naming a span's process by its tags, for grouping spans per process when writing. */
export function processKey(s: SpanRecord): string {
  return JSON.stringify([s.service, s.process.host, s.process.instance, s.process.pid]);
}

function dedupe(spans: readonly SpanRecord[], files: readonly string[], problems: ProblemLog): number[] {
  const seen = new Set<string>();
  const kept: number[] = [];
  spans.forEach((s, i) => {
    const key = `${s.traceId}\0${s.spanId}`;
    if (seen.has(key)) problems.add(files[i], 0, 'repeated span (first kept)', `trace ${s.traceId} span ${s.spanId}`);
    else {
      seen.add(key);
      kept.push(i);
    }
  });
  return kept;
}

function traceTypes(spans: readonly SpanRecord[], files: readonly string[], kept: readonly number[], problems: ProblemLog): Map<string, string> {
  const byTrace = new Map<string, number[]>();
  for (const i of kept) {
    const list = byTrace.get(spans[i].traceId);
    if (list) list.push(i);
    else byTrace.set(spans[i].traceId, [i]);
  }
  const types = new Map<string, string>();
  const earliest = (i: number, than: number) => than < 0 || spans[i].startNs < spans[than].startNs;
  for (const [traceId, members] of byTrace) {
    const ids = new Set(members.map((i) => spans[i].spanId));
    let root = -1; // the earliest span without a parent
    let roots = 0;
    let orphan = -1; // the earliest span whose parent is not in the trace
    for (const i of members) {
      const parent = spans[i].parentId;
      if (parent === '') {
        roots++;
        if (earliest(i, root)) root = i;
      } else if (!ids.has(parent)) {
        problems.add(files[i], 0, 'parent span not in the trace', `trace ${traceId} span ${spans[i].spanId} parent ${parent}`);
        if (earliest(i, orphan)) orphan = i;
      }
    }
    const file = files[members[0]];
    if (roots > 1) problems.add(file, 0, 'trace with several roots (trace_type from the earliest)', `trace ${traceId}: ${roots} roots`);
    if (root < 0 && orphan >= 0) problems.add(file, 0, 'trace without a root span (trace_type from the earliest span whose parent is missing)', `trace ${traceId}`);
    if (root < 0 && orphan < 0) problems.add(file, 0, 'trace without a root span (parents form a cycle): trace_type empty', `trace ${traceId}`);
    const top = root >= 0 ? root : orphan;
    types.set(traceId, top < 0 ? '' : spans[top].operation);
  }
  return types;
}

interface ProcessRow {
  host: string;
  pid: number;
  service: string;
  instance: string;
}

/** Joins a span's process tags to processes.csv; see buildSpansTable. Cached per distinct tags. */
function processResolver(processes: Table): (service: string, tags: ProcessTags) => ProcessTags {
  const byService = new Map<string, ProcessRow[]>();
  for (const row of processes.objects() as ProcessRow[]) {
    const list = byService.get(row.service);
    if (list) list.push(row);
    else byService.set(row.service, [row]);
  }
  const cache = new Map<string, ProcessTags>();
  return (service, tags) => {
    if (tags.host === null && tags.instance === null && tags.pid === null) return tags;
    const key = JSON.stringify([service, tags.host, tags.instance, tags.pid]);
    let found = cache.get(key);
    if (found === undefined) {
      const matches = (byService.get(service) ?? []).filter(
        (p) => (tags.pid === null || p.pid === tags.pid)
          && (tags.instance === null || p.instance === tags.instance || p.host === tags.instance)
          && (tags.host === null || p.host === tags.host),
      );
      found = matches.length === 1 ? { host: matches[0].host, instance: matches[0].instance, pid: matches[0].pid } : tags;
      cache.set(key, found);
    }
    return found;
  };
}

/** Plain string order (no locale), for deterministic ties; the kit's one string comparator. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
