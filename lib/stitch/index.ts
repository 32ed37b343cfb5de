/**
 * Stitching (the paper's §4), one module per step: idle models (idle), signal syscalls and active
 * threads (signals), active ranges and false-active threads (ranges), serving threads and merged
 * spans (merge), trace profiles (profile), global sequences and trace models (global), candidate
 * combinations (candidates), their search (search), stitching (stitch), evaluation against truth
 * (evaluate) and export (export); pipeline composes them. Models are behind SequenceScorer (scorer):
 * the LSTM, or exact n-gram counts.
 */
export { progressText, terminalProgress } from './progress';
export type { StepProgress, OnProgress } from './progress';
export { STITCH_SPAN_COLUMNS, DEFAULT_TOLERANCE_NS, readSpans, groupTraces, spanKeys, spanWindow } from './spans';
export type { SpanRow } from './spans';
export { threadKey, threadSequences, threadTable } from './threads';
export type { ThreadSeq, ThreadOptions } from './threads';
export { DEFAULT_N, START_TOKEN, cachedScorer, lstmScorer, ngramScorer, meanScore, fitScorer, padStart, scorePadded } from './scorer';
export type { CachedScorer, SequenceScorer, ScorerKind, FitOptions, FittedScorer } from './scorer';
export { trainIdleModels, idleTable } from './idle';
export type { IdleModel, IdleModels, IdleOptions } from './idle';
export { DEFAULT_THRESHOLD, detectSignals, scoringRanges, signalTable, activeThreads } from './signals';
export type { ThreadSignals, Signals, SignalOptions, WindowOptions, ActiveBasis } from './signals';
export { activeRanges } from './ranges';
export { COVER_FRACTION, serveSpans } from './merge';
export type { ServeRole } from './merge';
export { buildProfiles, roleLabel } from './profile';
export type { SpanRole, ProfileSpan, TraceProfile, Profiles } from './profile';
export { globalSequence, mergeParts, isolatedSequences, sequenceTable, trainTraceModels, likelihoods } from './global';
export type { SyscallSelection, SequencePart, SequenceOptions, TraceSequence, TraceModel, TraceModels, TraceModelOptions } from './global';
export { planTraces, combinationCount, choices, combinations, reusesThread, combinationParts, combinationLabel, combinationTable } from './candidates';
export type { Slot, PlannedSpan, TracePlan, Combination, PlanOptions } from './candidates';
export { DEFAULT_EXHAUSTIVE_LIMIT, DEFAULT_BEAM_WIDTH, searchCombinations, rankCombinations } from './search';
export type { SearchOptions, SearchResult } from './search';
export { STITCHED, stitchTraces } from './stitch';
export { BASELINES, RECEIVES, stitchBaseline } from './baselines';
export type { BaselineName, BaselineOptions } from './baselines';
export type { StitchOptions } from './stitch';
export { evaluate } from './evaluate';
export type { Accuracy, Evaluation } from './evaluate';
export { stitchTags, toJaeger, toOtlp } from './export';
export { analyseIsolated, analyseIsolatedSet, stitchCapture } from './pipeline';
export type { SpansAndSyscalls, PipelineOptions, IsolatedAnalysis, IsolatedSetAnalysis, LiveStitch } from './pipeline';
export { PAPER_TABLE2, table2, formatTable2, alignedTable } from './table2';
export type { Table2Row } from './table2';
