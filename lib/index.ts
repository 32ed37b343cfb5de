/**
 * The Deepstitch Kit's public API: the map of what the kit offers, re-exported from its parts.
 * Read this first; each line points to the module that holds the code.
 *
 * - capture: load and write capture folders (manifest, traces, syscall files, processes, truth).
 * - seq: vocabularies (per service, global "service:syscall") and windows with counts.
 * - nn: the LSTM next-token model (backend choice, build, train, predict, save/load, cache).
 */
export * from './capture/index';
export * from './seq/index';
export * from './nn/index';
