/**
 * Figures of the experiments (experiments/): a value per x and series with its 95% confidence
 * interval as error bars, drawn as grouped bars (per trace type, per hand-off category) or as lines
 * over a swept knob (concurrency, replicas, noise, skew, n).
 */
import type { Figure, FigureSource, Trace } from './spec';
import { colourMap, figureTitle, rowsOf } from './spec';

/** Inputs of {@link intervalFigure}: column names of `rows` for x, the series, the value and its interval. */
export interface IntervalInput {
  rows: readonly Record<string, unknown>[];
  x: string;
  /** The column naming each row's series (one colour each, in order of first appearance). */
  series: string;
  y: string;
  /** Interval bounds; a row without them (null) gets no error bar. */
  lo?: string;
  hi?: string;
  mode: 'bars' | 'lines';
  title: string;
  source: FigureSource;
  xTitle?: string;
  yTitle?: string;
  /** y is a fraction: axis 0..100%. */
  fraction?: boolean;
  logX?: boolean;
}

/** A value per x and series with its interval: grouped bars, or a line per series over numeric x. */
export function intervalFigure(input: IntervalInput): Figure {
  const columns = [input.x, input.series, input.y, ...(input.lo === undefined ? [] : [input.lo]), ...(input.hi === undefined ? [] : [input.hi])];
  const rows = rowsOf<Record<string, unknown>>(input.rows, columns, 'intervalFigure rows');
  const value = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const colours = colourMap(rows.map((r) => String(r[input.series])));
  const data: Trace[] = [...colours].map(([name, colour]) => {
    const mine = rows.filter((r) => String(r[input.series]) === name);
    const y = mine.map((r) => value(r[input.y]));
    const bound = (col: string | undefined, i: number, sign: 1 | -1) => {
      const b = col === undefined ? null : value(mine[i][col]);
      return b === null || y[i] === null ? 0 : sign * (b - (y[i] as number));
    };
    return {
      type: input.mode === 'bars' ? 'bar' : 'scatter',
      ...(input.mode === 'lines' ? { mode: 'lines+markers', line: { color: colour }, marker: { color: colour } } : { marker: { color: colour } }),
      name,
      x: mine.map((r) => (input.mode === 'bars' ? String(r[input.x]) : r[input.x])),
      y,
      error_y: { type: 'data', symmetric: false, array: y.map((_, i) => bound(input.hi, i, 1)), arrayminus: y.map((_, i) => bound(input.lo, i, -1)), visible: input.lo !== undefined },
      hovertemplate: `%{x}: %{y${input.fraction ? ':.1%' : ':.3g'}}<extra>${name}</extra>`,
    };
  });
  return {
    data,
    layout: {
      title: figureTitle(input.title, input.source),
      ...(input.mode === 'bars' ? { barmode: 'group' } : {}),
      // Lines: a tick at each swept value (a sweep has few), so a log axis shows 1, 2, 4, 8, 16 rather than decades.
      xaxis: {
        title: { text: input.xTitle ?? input.x }, automargin: true,
        ...(input.mode === 'bars' ? { type: 'category' } : { type: input.logX ? 'log' : 'linear', tickvals: [...new Set(rows.map((r) => r[input.x]))] }),
      },
      yaxis: { title: { text: input.yTitle ?? input.y }, ...(input.fraction ? { range: [0, 1.05], tickformat: '.0%' } : { rangemode: 'tozero' }) },
      legend: { orientation: 'h', y: -0.25 },
    },
  };
}
