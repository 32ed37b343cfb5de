/**
 * The Deepstitch Kit's public API: the map of what the kit offers, re-exported from its parts.
 * Read this first; each line points to the module that holds the code.
 *
 * - capture: load and write capture folders (manifest, traces, syscall files, processes, truth).
 * - seq: vocabularies (per service, global "service:syscall") and windows with counts.
 * - nn: the LSTM next-token model (backend choice, build, train, predict, save/load, cache).
 * - stitch: the paper's section 4 step by step (idle models, signals, active ranges, profiles,
 *   global sequences and trace models, candidates, stitching, evaluation, export, Table 2).
 * - sim: the Sock Shop capture simulator (simulated captures with thread-level ground truth).
 * - plot: plotly figure builders, show() for notebooks, static images, the HTML report.
 */
export * from './capture/index';
export * from './seq/index';
export * from './nn/index';
export * from './stitch/index';
export * from './sim/index';
export * from './plot/index';
