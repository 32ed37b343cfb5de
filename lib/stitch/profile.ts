/**
 * Step 5 (paper §4.2): trace profiles. Over the isolated capture's instances of a trace type, how
 * each span is served (by k threads of its own, merged into another span's thread, or by none
 * seen), and how many threads of each service serve the trace; the most frequent (mode) role of
 * each span, which is stable once there are enough instances, is the profile the stitcher follows:
 * first the mode of how it is served (own, merged into which span, none), then for an own span the
 * mode of its threads' count and basis.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import type { ActiveBasis } from './signals';
import { COVER_FRACTION } from './merge';
import { compareStrings } from './spans';

/**
 * How a span of a trace type is served, in its profile: by k threads of its own, found by their
 * signal syscalls (basis 'signal', the paper's) or, when no signal is seen in it, by their syscalls
 * in its window (basis 'calls', see merge.ts); merged into another span's thread; or by none seen.
 */
export type SpanRole = { kind: 'own'; threads: number; basis: ActiveBasis } | { kind: 'merged'; into: string } | { kind: 'none' };

/** One span of a trace type's profile. */
export interface ProfileSpan {
  key: string;
  service: string;
  operation: string;
  role: SpanRole;
  /** Instances that had this span, and those where it had the profile's role. */
  present: number;
  support: number;
  /**
   * Whether the span's main own thread covered at least COVER_FRACTION of it in most instances
   * where it was own (false for other roles): the live stitching then takes as its main thread only
   * a thread that covers it, not a helper that joins for a burst.
   */
  covered: boolean;
  /**
   * Whether the span had more than one own thread in most instances where it was own (false for
   * other roles): its work moves between the threads of a pool (Go's Ms run a goroutine by turns,
   * parked and resumed on whichever is free), which serve its overlapping sibling spans by turns
   * too. The live stitching then takes all its active threads (candidates.ts).
   */
  pooled: boolean;
}

/** The profile of one trace type. */
export interface TraceProfile {
  traceType: string;
  /** Instances of the type in the isolated capture. */
  traces: number;
  /** Instances in which every span had its profile role (a measure of how stable the profile is). */
  conforming: number;
  /** By span key. */
  spans: Map<string, ProfileSpan>;
}

/** The profiles, and the tables a notebook shows. */
export interface Profiles {
  byType: Map<string, TraceProfile>;
  /** Ids of the conforming traces. */
  conforming: Set<string>;
  /** The profile: trace_type, span_key, service, operation, role, threads, into, support, present, frequency (support / present), covered, pooled. */
  table: Table;
  /** Every role seen: trace_type, span_key, role, traces, present, frequency. */
  roles: Table;
  /** Threads serving the trace per service: trace_type, service, threads, traces, frequency, mode (the profile's count). */
  services: Table;
}

/** A role as text: "own N" (basis 'signal'), "own N by calls", "merged <span key>", "none". */
export function roleLabel(role: SpanRole): string {
  if (role.kind === 'own') return `own ${role.threads}${role.basis === 'calls' ? ' by calls' : ''}`;
  return role.kind === 'merged' ? `merged ${role.into}` : 'none';
}

/**
 * Builds the profiles from the served table of an isolated capture (serveSpans). Throws, naming
 * them, when a non-empty table lacks columns the profiles read (cover included: without it every
 * span would look uncovered).
 */
export function buildProfiles(served: Table): Profiles {
  const instances = traceInstances(served);
  const byType = new Map<string, TraceProfile>();
  const conforming = new Set<string>();
  const roleRows: Record<string, unknown>[] = [];
  const serviceRows: Record<string, unknown>[] = [];
  const types = new Map<string, Instance[]>();
  for (const t of instances.values()) {
    const list = types.get(t.traceType);
    if (list) list.push(t);
    else types.set(t.traceType, [t]);
  }
  for (const [traceType, list] of types) {
    // Role counts per span key.
    const counts = new Map<string, { service: string; operation: string; present: number; own: number; covered: number; multi: number; labels: Map<string, { role: SpanRole; count: number }> }>();
    for (const t of list) {
      for (const [key, span] of t.spans) {
        let c = counts.get(key);
        if (c === undefined) counts.set(key, (c = { service: span.service, operation: span.operation, present: 0, own: 0, covered: 0, multi: 0, labels: new Map() }));
        c.present++;
        if (span.role.kind === 'own') {
          c.own++;
          if (span.cover >= COVER_FRACTION) c.covered++;
          if (span.role.threads > 1) c.multi++;
        }
        const label = roleLabel(span.role);
        const l = c.labels.get(label);
        if (l) l.count++;
        else c.labels.set(label, { role: span.role, count: 1 });
      }
    }
    const spans = new Map<string, ProfileSpan>();
    for (const key of [...counts.keys()].sort(compareStrings)) {
      const c = counts.get(key)!;
      const ranked = [...c.labels.entries()].sort((a, b) => b[1].count - a[1].count || rank(a[1].role) - rank(b[1].role) || compareStrings(a[0], b[0]));
      // The mode of how the span is served (own, merged into a span, none), then of the own threads'
      // count and basis: a Go span served by 1, 2 or 3 threads as its goroutine moves is still own.
      const kindCount = (role: SpanRole) => [...c.labels.values()].filter((l) => kindOf(l.role) === kindOf(role)).reduce((n, l) => n + l.count, 0);
      const best = ranked.map(([, l]) => l).sort((a, b) => kindCount(b.role) - kindCount(a.role))[0];
      spans.set(key, { key, service: c.service, operation: c.operation, role: best.role, present: c.present, support: best.count, covered: best.role.kind === 'own' && 2 * c.covered > c.own, pooled: best.role.kind === 'own' && 2 * c.multi > c.own });
      for (const [label, l] of ranked) roleRows.push({ trace_type: traceType, span_key: key, role: label, traces: l.count, present: c.present, frequency: l.count / c.present });
    }
    let ok = 0;
    for (const t of list) {
      if ([...t.spans].every(([key, s]) => roleLabel(s.role) === roleLabel(spans.get(key)!.role))) {
        conforming.add(t.traceId);
        ok++;
      }
    }
    byType.set(traceType, { traceType, traces: list.length, conforming: ok, spans });
    serviceRows.push(...serviceThreads(traceType, list, spans));
  }
  const profileRows = [...byType.values()].flatMap((p) =>
    [...p.spans.values()].map((s) => ({
      trace_type: p.traceType, span_key: s.key, service: s.service, operation: s.operation, role: roleLabel(s.role),
      threads: s.role.kind === 'own' ? s.role.threads : 0, into: s.role.kind === 'merged' ? s.role.into : '',
      support: s.support, present: s.present, frequency: s.support / s.present, covered: s.covered, pooled: s.pooled,
    })),
  );
  return {
    byType,
    conforming,
    table: rowsTable(profileRows, ['trace_type', 'span_key', 'service', 'operation', 'role', 'threads', 'into', 'support', 'present', 'frequency', 'covered', 'pooled']),
    roles: rowsTable(roleRows, ['trace_type', 'span_key', 'role', 'traces', 'present', 'frequency']),
    services: rowsTable(serviceRows, ['trace_type', 'service', 'threads', 'traces', 'frequency', 'mode']),
  };
}

interface Instance {
  traceId: string;
  traceType: string;
  /** Each span's role and its main thread's cover (0 when not own). */
  spans: Map<string, { service: string; operation: string; role: SpanRole; cover: number }>;
}

/** The served table's columns the profiles read (serveSpans writes them all). */
const SERVED_COLUMNS = ['trace_id', 'span_id', 'trace_type', 'service', 'operation', 'span_key', 'role', 'into', 'basis', 'cover'];

/** Each trace of the served table with the role of each of its spans. */
function traceInstances(served: Table): Map<string, Instance> {
  // An empty table (no isolated capture) may have no columns at all; arquero reads a missing column as empty.
  const missing = served.numRows() === 0 ? [] : SERVED_COLUMNS.filter((c) => !served.columnNames().includes(c));
  if (missing.length > 0) throw new Error(`buildProfiles: the served table has no ${missing.map((c) => `"${c}"`).join(', ')} column (serveSpans writes it)`);
  const [traceIds, spanIds, types, services, ops, keys, roles, intos, bases] = SERVED_COLUMNS.slice(0, -1).map((c) => served.array(c) as string[]);
  const covers = served.array('cover') as (number | null)[];
  const keyOf = new Map<string, string>();
  for (let r = 0; r < served.numRows(); r++) keyOf.set(`${traceIds[r]}\u0000${spanIds[r]}`, keys[r]);
  const out = new Map<string, Instance>();
  for (let r = 0; r < served.numRows(); r++) {
    let t = out.get(traceIds[r]);
    if (t === undefined) out.set(traceIds[r], (t = { traceId: traceIds[r], traceType: types[r], spans: new Map() }));
    const prev = t.spans.get(keys[r]);
    let role: SpanRole;
    if (roles[r] === 'own') role = { kind: 'own', threads: prev?.role.kind === 'own' ? prev.role.threads + 1 : 1, basis: bases[r] === 'calls' ? 'calls' : 'signal' };
    else if (roles[r] === 'merged') role = { kind: 'merged', into: keyOf.get(`${traceIds[r]}\u0000${intos[r]}`) ?? intos[r] };
    else role = { kind: 'none' };
    // The main thread's row comes first (serveSpans' order).
    const cover = prev?.role.kind === 'own' ? prev.cover : role.kind === 'own' ? covers[r] ?? 0 : 0;
    t.spans.set(keys[r], { service: services[r], operation: ops[r], role, cover });
  }
  return out;
}

/** A role's kind: own (whatever the thread count and basis), merged into a given span, or none. */
function kindOf(role: SpanRole): string {
  return role.kind === 'merged' ? `merged ${role.into}` : role.kind;
}

/** Ties between equally frequent roles go to own (fewer threads first, signal before calls), then merged, then none. */
function rank(role: SpanRole): number {
  return role.kind === 'own' ? 2 * role.threads + (role.basis === 'calls' ? 1 : 0) : role.kind === 'merged' ? 1e6 : 2e6;
}

/** Per service, the distribution over instances of the number of its threads serving the trace. */
function serviceThreads(traceType: string, list: readonly Instance[], profile: ReadonlyMap<string, ProfileSpan>): Record<string, unknown>[] {
  const count = (spans: Iterable<{ service: string; role: SpanRole }>) => {
    const m = new Map<string, number>();
    for (const s of spans) m.set(s.service, (m.get(s.service) ?? 0) + (s.role.kind === 'own' ? s.role.threads : 0));
    return m;
  };
  const modal = count(profile.values());
  const dist = new Map<string, Map<number, number>>();
  for (const t of list) {
    for (const [service, threads] of count(t.spans.values())) {
      let d = dist.get(service);
      if (d === undefined) dist.set(service, (d = new Map()));
      d.set(threads, (d.get(threads) ?? 0) + 1);
    }
  }
  const rows: Record<string, unknown>[] = [];
  for (const service of [...dist.keys()].sort(compareStrings)) {
    for (const [threads, traces] of [...dist.get(service)!].sort((a, b) => a[0] - b[0])) {
      rows.push({ trace_type: traceType, service, threads, traces, frequency: traces / list.length, mode: modal.get(service) === threads });
    }
  }
  return rows;
}

/** A table from row objects, with these columns even when there is no row. */
function rowsTable(rows: readonly Record<string, unknown>[], columns: readonly string[]): Table {
  return aq.table(Object.fromEntries(columns.map((c) => [c, rows.map((r) => r[c])])));
}
