/**
 * Figures of the kit as plotly specs ({data, layout}) built by small functions, shown in
 * notebooks (show), drawn as images (renderImage) and gathered in HTML reports (writeReport).
 */
export type { DataSource, Figure, FigureSource, Layout, Trace } from './spec';
export { figureTitle, sourceLabel } from './spec';
export * from './thresholds';
export * from './ranges';
export * from './timeline';
export * from './accuracy';
export * from './loss';
export * from './heatmap';
export type { SpanBarRow } from './lanes';
export * from './image';
export * from './show';
export * from './report';
export * from './bars';
export * from './scores';
export * from './progress';
export * from './experiments';
