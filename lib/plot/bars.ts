/** Bars of a value per category, optionally one series per group: counts per service, accuracy per setting. */
import type { Table } from '../capture/types';
import type { FigureSource, Figure, Trace } from './spec';
import { colourMap, figureTitle, rowsOf } from './spec';

/** Inputs of {@link barsFigure}: which columns of `rows` give the bars. */
export interface BarsInput {
  rows: Table | readonly Record<string, unknown>[];
  /** Column of the categories (x axis, in order of first appearance). */
  x: string;
  /** Column of the values. */
  y: string;
  /** Column whose values make one series each (default: one series). */
  group?: string;
  source: FigureSource;
  title: string;
  xTitle?: string;
  yTitle?: string;
  /** Stack the groups instead of placing them side by side. */
  stacked?: boolean;
  logY?: boolean;
}

/** Bars of `y` per `x`, one coloured series per value of `group`, with a legend when grouped. */
export function barsFigure(input: BarsInput): Figure {
  const columns = [input.x, input.y, ...(input.group === undefined ? [] : [input.group])];
  const rows = rowsOf<Record<string, unknown>>(input.rows, columns, 'barsFigure rows');
  const key = (r: Record<string, unknown>) => (input.group === undefined ? input.y : String(r[input.group]));
  const colours = colourMap(rows.map(key));
  const data: Trace[] = [...colours].map(([name, colour]) => {
    const mine = rows.filter((r) => key(r) === name);
    return {
      type: 'bar',
      name,
      x: mine.map((r) => String(r[input.x])),
      y: mine.map((r) => r[input.y]),
      marker: { color: colour },
      hovertemplate: `%{x}: %{y}<extra>${name}</extra>`,
    };
  });
  return {
    data,
    layout: {
      title: figureTitle(input.title, input.source),
      barmode: input.stacked ? 'stack' : 'group',
      showlegend: input.group !== undefined,
      xaxis: { title: { text: input.xTitle ?? input.x }, type: 'category', categoryorder: 'array', categoryarray: [...new Set(rows.map((r) => String(r[input.x])))], automargin: true },
      yaxis: { title: { text: input.yTitle ?? input.y }, type: input.logY ? 'log' : 'linear' },
    },
  };
}
