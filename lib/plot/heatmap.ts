/** A value over a grid of two parameters, such as accuracy over the n × threshold tuning grid. */
import type { FigureSource, Figure } from './spec';
import { figureTitle } from './spec';

/** Inputs of {@link heatmapFigure}: z[i][j] is the value at y[i], x[j]; null where not measured. */
export interface HeatmapInput {
  x: readonly number[];
  y: readonly number[];
  z: readonly (readonly (number | null)[])[];
  xTitle: string;
  yTitle: string;
  zTitle: string;
  source: FigureSource;
  title?: string;
  /** d3 format of the values written in the cells (default ".2f"). */
  format?: string;
}

/** A heatmap with each cell's value written in it; x and y are categories (the grid's steps). */
export function heatmapFigure(input: HeatmapInput): Figure {
  const { x, y, z } = input;
  if (z.length !== y.length) throw new Error(`heatmapFigure: z has ${z.length} rows but y has ${y.length} values; z[i] must hold the values at y[i]`);
  z.forEach((row, i) => {
    if (row.length !== x.length) throw new Error(`heatmapFigure: z[${i}] has ${row.length} values but x has ${x.length}`);
  });
  const format = input.format ?? '.2f';
  return {
    data: [{
      type: 'heatmap',
      x: x.map(String),
      y: y.map(String),
      z: z.map((row) => [...row]),
      colorscale: 'Viridis',
      colorbar: { title: { text: input.zTitle } },
      texttemplate: `%{z:${format}}`,
      hovertemplate: `${input.xTitle} %{x}, ${input.yTitle} %{y}: %{z:${format}}<extra></extra>`,
    }],
    layout: {
      title: figureTitle(input.title ?? `${input.zTitle} by ${input.xTitle} and ${input.yTitle}`, input.source),
      xaxis: { title: { text: input.xTitle }, type: 'category' },
      yaxis: { title: { text: input.yTitle }, type: 'category' },
    },
  };
}
