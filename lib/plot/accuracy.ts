/**
 * The per-trace accuracy figure: Deepstitch's accuracy per trace type at process and thread
 * level beside the paper's Table 2.
 */
import type { Table } from '../capture/types';
import type { FigureSource, Figure, Trace } from './spec';
import { PALETTE, figureTitle, rowsOf } from './spec';

/** One trace type's accuracies, fractions in [0, 1] (NaN: nothing evaluated; table2()'s rows have these fields). */
export interface AccuracyRow {
  trace_type: string;
  acc_process: number;
  acc_thread: number;
  /** The paper's Table 2 accuracy for this trace type; null where the paper has none. */
  paper_acc: number | null;
}

/** Inputs of {@link accuracyFigure}. */
export interface AccuracyInput {
  rows: Table | readonly AccuracyRow[];
  source: FigureSource;
  title?: string;
}

/** The bar groups' names, in order. */
export const ACCURACY_SERIES = {
  process: 'Deepstitch, process level',
  thread: 'Deepstitch, thread level',
  paper: "paper's Table 2",
} as const;

/** Grouped bars per trace type: process level, thread level, the paper's number (absent where null). */
export function accuracyFigure(input: AccuracyInput): Figure {
  const rows = rowsOf<AccuracyRow>(input.rows, ['trace_type', 'acc_process', 'acc_thread', 'paper_acc'], 'accuracyFigure rows');
  const x = rows.map((r) => r.trace_type);
  const bars = (name: string, y: (number | null)[], colour: string, pattern?: string): Trace => ({
    type: 'bar',
    name,
    x,
    y,
    text: y.map((v) => (v === null || !Number.isFinite(v) ? '' : `${(100 * v).toFixed(0)}%`)),
    textposition: 'outside',
    marker: { color: colour, ...(pattern === undefined ? {} : { pattern: { shape: pattern } }) },
    hovertemplate: '%{x}: %{y:.1%}<extra>%{fullData.name}</extra>',
  });
  return {
    data: [
      bars(ACCURACY_SERIES.process, rows.map((r) => r.acc_process), PALETTE[0]),
      bars(ACCURACY_SERIES.thread, rows.map((r) => r.acc_thread), PALETTE[2]),
      bars(ACCURACY_SERIES.paper, rows.map((r) => r.paper_acc), PALETTE[6], '/'),
    ],
    layout: {
      title: figureTitle(input.title ?? 'Stitching accuracy per trace type', input.source),
      barmode: 'group',
      xaxis: { title: { text: 'trace type' }, automargin: true },
      yaxis: { title: { text: 'accuracy' }, range: [0, 1.1], tickvals: [0, 0.2, 0.4, 0.6, 0.8, 1], tickformat: '.0%' },
      legend: { orientation: 'h', y: -0.25 },
    },
  };
}
