/** The LSTM next-token model: backend choice, build, train, predict, save and load, and the model cache. */
export { initBackend, describeBackend } from './backend';
export type { BackendName, BackendInfo } from './backend';
export { MODEL_DEFAULTS, resolveConfig, buildModel, oneHotWindows, oneHot, checkIds } from './model';
export type { ModelConfig, ModelOptions, NextTokenModel } from './model';
export { TRAIN_DEFAULTS, resolveTrainSettings, train } from './train';
export type { TrainSettings, TrainOptions, TrainHistory, EpochProgress, BatchProgress } from './train';
export { predictScores } from './predict';
export type { PredictOptions } from './predict';
export { saveModel, loadModel } from './persist';
export type { SavedModel } from './persist';
export { DEFAULT_CACHE_DIR, cacheKey, trainCached } from './cache';
export type { CachedTrainOptions, CachedModel } from './cache';
