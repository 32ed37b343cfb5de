/**
 * The active-thread ranges figure (paper §4.2): a trace's spans on a timeline and, below them,
 * each active thread's range (first to last signal syscall) for each span it was active in,
 * false-active ones (range not within the span) drawn apart, signal syscalls as ticks.
 */
import type { Table } from '../capture/types';
import type { SpanBarRow } from './lanes';
import { laneLayout, spanLanes } from './lanes';
import type { FigureSource, Figure, Trace } from './spec';
import { ALERT, INK, figureTitle, rowsOf, toNumber } from './spec';

/** One active thread of one span, with its range (activeRanges' table; false_active is `!within`). */
export interface RangeRow {
  span_id: string;
  /** The thread's key, "host/pid/tid" (e.g. "user/2/31"). */
  thread: string;
  first_ns: number | bigint;
  last_ns: number | bigint;
  /** True when the range is not within the span: the thread serves another span. */
  false_active: boolean;
}

/** One signal syscall of a thread. */
export interface SignalRow {
  thread: string;
  ts_ns: number | bigint;
}

/** Inputs of {@link activeRangesFigure}; times are ns from the capture origin. */
export interface ActiveRangesInput {
  /** The trace's spans (columns span_id, service, operation, start_ns, end_ns). */
  spans: Table | readonly SpanBarRow[];
  ranges: Table | readonly RangeRow[];
  /** Signal syscalls; those outside the figure's time span are not drawn. */
  signals?: Table | readonly SignalRow[];
  source: FigureSource;
  title?: string;
}

/** Trace names, so a reader (and a test) can tell the layers apart. */
export const RANGE_TRACES = {
  active: 'active range (first..last signal syscall)',
  falseActive: 'false-active range (not within its span)',
  signals: 'signal syscalls',
} as const;

/**
 * Spans as bars (ms from the first span), then one row per (thread, span) active range labelled
 * "thread ▸ span": solid for ranges within their span, dashed red for false-active ones.
 */
export function activeRangesFigure(input: ActiveRangesInput): Figure {
  const what = 'activeRangesFigure';
  const lanes = spanLanes(input.spans, what);
  const spanOrder = new Map([...lanes.labels.keys()].map((id, i) => [id, i]));
  const ranges = rowsOf<RangeRow>(input.ranges, ['span_id', 'thread', 'first_ns', 'last_ns', 'false_active'], `${what} ranges`).map((r) => {
    const span = lanes.labels.get(r.span_id);
    if (span === undefined) throw new Error(`${what}: range of thread ${r.thread} names span ${r.span_id}, which is not among the spans given`);
    return { ...r, first: toNumber(r.first_ns), last: toNumber(r.last_ns), label: `${r.thread} ▸ ${span}`, order: spanOrder.get(r.span_id)! };
  });
  ranges.sort((a, b) => a.order - b.order || a.first - b.first || (a.thread < b.thread ? -1 : a.thread > b.thread ? 1 : 0));
  const lines = (falseActive: boolean): Trace => {
    const x: (number | null)[] = [];
    const y: (string | null)[] = [];
    for (const r of ranges.filter((q) => q.false_active === falseActive)) {
      x.push(lanes.ms(r.first), lanes.ms(r.last), null);
      y.push(r.label, r.label, null);
    }
    return {
      type: 'scatter',
      mode: 'lines+markers',
      name: falseActive ? RANGE_TRACES.falseActive : RANGE_TRACES.active,
      x,
      y,
      yaxis: 'y2',
      line: falseActive ? { color: ALERT, width: 3, dash: 'dash' } : { color: INK, width: 6, dash: 'solid' },
      marker: { size: 7, symbol: falseActive ? 'x' : 'circle' },
      hovertemplate: '%{y}: %{x:.3f} ms<extra></extra>',
    };
  };
  const data: Trace[] = [...lanes.bars, lines(false), lines(true)];
  if (input.signals !== undefined) {
    const lo = ranges.reduce((m, r) => Math.min(m, r.first), lanes.extentNs[0]);
    const hi = ranges.reduce((m, r) => Math.max(m, r.last), lanes.extentNs[1]);
    const byThread = new Map<string, number[]>();
    for (const s of rowsOf<SignalRow>(input.signals, ['thread', 'ts_ns'], `${what} signals`)) {
      const ts = toNumber(s.ts_ns);
      if (ts < lo || ts > hi) continue;
      const list = byThread.get(s.thread) ?? [];
      list.push(ts);
      byThread.set(s.thread, list);
    }
    const x: number[] = [];
    const y: string[] = [];
    for (const r of ranges) {
      for (const ts of byThread.get(r.thread) ?? []) {
        x.push(lanes.ms(ts));
        y.push(r.label);
      }
    }
    data.push({ type: 'scatter', mode: 'markers', name: RANGE_TRACES.signals, x, y, yaxis: 'y2', marker: { symbol: 'line-ns-open', size: 14, color: '#000000' }, hovertemplate: 'signal at %{x:.3f} ms<extra></extra>' });
  }
  const rowLabels = [...new Set(ranges.map((r) => r.label))];
  return {
    data,
    layout: laneLayout(figureTitle(input.title ?? 'Active threads and their ranges over the spans', input.source), [...lanes.labels.values()], rowLabels, 'active threads ▸ span'),
  };
}
