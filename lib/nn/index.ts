/** The LSTM next-token model: backend choice, build, train, predict, save and load, the model cache, and the fast engine behind train and predict. */
export { initBackend, describeBackend } from './backend';
export type { BackendName, BackendInfo } from './backend';
export { MODEL_DEFAULTS, resolveConfig, buildModel, oneHotWindows, oneHot, checkIds } from './model';
export type { ModelConfig, ModelOptions, NextTokenModel } from './model';
export { TRAIN_DEFAULTS, WORKER_MIN_PAIRS, resolveTrainSettings, train } from './train';
export type { TrainSettings, TrainOptions, TrainHistory, EpochProgress, BatchProgress } from './train';
export { CACHE_MAX_FLOATS, WORKER_MIN_WINDOWS, predictScores, resolveEngine, scoreCacheFloats } from './predict';
export type { Engine, PredictOptions } from './predict';
export { saveModel, loadModel } from './persist';
export type { SavedModel } from './persist';
export { DEFAULT_CACHE_DIR, cacheKey, kernelDigest, trainCached } from './cache';
export type { CachedTrainOptions, CachedModel } from './cache';
export { LstmKernel, kernelBytes, paramCount, prefixTree } from './kernel';
export type { KernelSizes } from './kernel';
export { Adam, fastLossAndGradient, fastProbabilities, lexicographicOrder } from './fast';
export { KernelPool, kernelPool, terminateKernelPools, defaultWorkers } from './pool';
export { fastEngineSupports, kernelSizes, readParams, writeParams } from './weights';
