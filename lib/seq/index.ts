/** Token sequences for the models: vocabularies and windows with counts. */
export { UNK, Vocab, globalToken } from './vocab';
export type { VocabJSON, VocabOptions } from './vocab';
export { TupleIndex, buildWindows, scoringWindows, scatterScores } from './windows';
export type { Windows, WindowSet, ScoringWindows } from './windows';
