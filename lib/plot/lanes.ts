/**
 * The layout the timeline figures share: a trace's spans as bars in a top panel and one row per
 * thread (or per thread and span) in a bottom panel, on one time axis in ms from the first span.
 */
import type { Table } from '../capture/types';
import type { Layout, Trace } from './spec';
import { colourMap, rowsOf, toNumber } from './spec';

/** The span columns the timeline figures read (a subset of the spans table's). */
export interface SpanBarRow {
  span_id: string;
  service: string;
  operation: string;
  start_ns: number | bigint;
  end_ns: number | bigint;
}

const SPAN_BAR_COLUMNS = ['span_id', 'service', 'operation', 'start_ns', 'end_ns'] as const;

/** Spans placed on the time axis: their rows in start order, a unique label each, the axis origin. */
export interface SpanLanes {
  /** ns of the first span start: 0 ms on the axis. */
  originNs: number;
  /** ns (relative to the capture origin) to ms on the axis. */
  ms(ns: number | bigint): number;
  /** Span id to its row label ("service operation", with " #2", " #3" on repeats). */
  labels: Map<string, string>;
  /** Span id to its service. */
  serviceOf: Map<string, string>;
  /** Bars, one trace per service, on the top panel. */
  bars: Trace[];
  /** The first and last ns any span covers. */
  extentNs: [number, number];
}

/** Reads the spans (table or rows) and lays them out as bars; `what` names the figure in errors. */
export function spanLanes(spans: Table | readonly SpanBarRow[], what: string): SpanLanes {
  const rows = rowsOf<SpanBarRow>(spans, SPAN_BAR_COLUMNS, `${what} spans`)
    .map((r) => ({ ...r, start: toNumber(r.start_ns), end: toNumber(r.end_ns) }))
    .sort((a, b) => a.start - b.start || b.end - a.end);
  if (rows.length === 0) throw new Error(`${what}: no spans to draw`);
  const originNs = rows[0].start;
  const ms = (ns: number | bigint) => (toNumber(ns) - originNs) / 1e6;
  const labels = new Map<string, string>();
  const seen = new Map<string, number>();
  for (const r of rows) {
    const base = `${r.service} ${r.operation}`;
    const k = (seen.get(base) ?? 0) + 1;
    seen.set(base, k);
    labels.set(r.span_id, k === 1 ? base : `${base} #${k}`);
  }
  const colours = colourMap(rows.map((r) => r.service));
  const bars: Trace[] = [...colours].map(([service, colour]) => {
    const mine = rows.filter((r) => r.service === service);
    return {
      type: 'bar',
      orientation: 'h',
      name: service,
      y: mine.map((r) => labels.get(r.span_id)),
      base: mine.map((r) => ms(r.start)),
      x: mine.map((r) => (r.end - r.start) / 1e6),
      marker: { color: colour },
      yaxis: 'y',
      hovertemplate: '%{y}: %{base:.3f} ms + %{x:.3f} ms<extra>span</extra>',
    };
  });
  return {
    originNs,
    ms,
    labels,
    serviceOf: new Map(rows.map((r) => [r.span_id, r.service])),
    bars,
    extentNs: [originNs, rows.reduce((m, r) => Math.max(m, r.end), originNs)],
  };
}

/**
 * A two-panel layout: the spans' rows on top (y), `rows` below (y2), both top to bottom in the
 * given order, sharing the x axis (ms); the height grows with the rows.
 */
export function laneLayout(title: Layout['title'], spanRows: readonly string[], rows: readonly string[], rowsTitle: string): Layout {
  const gap = 0.08;
  const bottom = ((1 - gap) * rows.length) / (spanRows.length + rows.length);
  const categories = (labels: readonly string[]) => ({ type: 'category', categoryorder: 'array', categoryarray: [...labels], autorange: 'reversed', automargin: true });
  return {
    title,
    height: 180 + 24 * (spanRows.length + rows.length),
    barmode: 'overlay',
    xaxis: { title: { text: 'ms from the first span' }, anchor: 'y2', zeroline: false },
    yaxis: { ...categories(spanRows), domain: [bottom + gap, 1], title: { text: 'spans' } },
    yaxis2: { ...categories(rows), domain: [0, bottom], anchor: 'x', title: { text: rowsTitle } },
    margin: { l: 10, r: 10, t: 60, b: 40 },
  };
}
