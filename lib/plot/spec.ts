/**
 * Plotly figure specs as plain objects ({data, layout}), and what the builders share: the
 * SIMULATED/REAL label, reading rows from arquero tables or arrays, the colours.
 */
import type { Manifest, Table } from '../capture/types';

/** One plotly trace: its type and the attributes plotly documents for it. */
export interface Trace {
  type: string;
  name?: string;
  [attribute: string]: unknown;
}

/** A plotly layout; the builders always set a title. */
export interface Layout {
  title: { text: string };
  [attribute: string]: unknown;
}

/** A plotly figure spec: what Plotly.newPlot takes, JSON-serialisable. */
export interface Figure {
  data: Trace[];
  layout: Layout;
}

/** Where plotted capture data comes from (the capture manifest's `source`). */
export type DataSource = Manifest['source'];

/** The source of a figure's data: one, or the sources of several captures it combines. */
export type FigureSource = DataSource | readonly DataSource[];

/** The label every figure of capture data carries: "SIMULATED", "REAL", or "SIMULATED + REAL". */
export function sourceLabel(source: FigureSource): string {
  // Checked at run time too: a notebook or script in plain JS may pass anything.
  const list: readonly unknown[] = Array.isArray(source) ? source : [source];
  if (list.length === 0) throw new Error("source: an empty list; give the captures' sources ('simulated' or 'real')");
  for (const s of list) {
    if (s !== 'simulated' && s !== 'real') throw new Error(`source must be 'simulated' or 'real' (or a list of them), got ${String(JSON.stringify(s))}`);
  }
  return [...new Set(list as DataSource[])].sort().map((s) => s.toUpperCase()).join(' + ');
}

/** A layout title that names the data's source: "Scores · SIMULATED data" (throws without a valid source). */
export function figureTitle(text: string, source: FigureSource): Layout['title'] {
  return { text: `${text} · ${sourceLabel(source)} data` };
}

/**
 * The rows of a table or array as objects, after checking they have `columns`; `what` names the
 * input in the error (e.g. "activeRangesFigure ranges").
 */
export function rowsOf<R extends object>(input: Table | readonly R[], columns: readonly (keyof R & string)[], what: string): R[] {
  if (Array.isArray(input)) {
    const rows = input as readonly R[];
    rows.forEach((row, i) => {
      const missing = columns.filter((c) => !(c in row));
      if (missing.length > 0) throw new Error(`${what}: row ${i} has no ${missing.join(', ')}; expected columns ${columns.join(', ')}`);
    });
    return [...rows];
  }
  const table = input as Table;
  const missing = columns.filter((c) => !table.columnNames().includes(c));
  if (missing.length > 0) throw new Error(`${what}: table has no column ${missing.join(', ')}; expected columns ${columns.join(', ')}`);
  return table.objects() as R[];
}

/** A timestamp column value as a number (tables keep relative ns as numbers, BigInt is accepted). */
export function toNumber(v: number | bigint): number {
  return typeof v === 'bigint' ? Number(v) : v;
}

/** Colours of series (plotly's default sequence, without its red), in order of use. */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
/** A second sequence (ColorBrewer Dark2), for marks drawn over bars coloured by PALETTE. */
export const MARK_PALETTE = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666'];
/** What is wrong or a limit: false-active ranges, the threshold. */
export const ALERT = '#d62728';
/** Neutral marks: active ranges. */
export const INK = '#333333';

/** A colour per key, in order of first appearance. */
export function colourMap(keys: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of keys) if (!out.has(k)) out.set(k, PALETTE[out.size % PALETTE.length]);
  return out;
}
