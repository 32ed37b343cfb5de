/**
 * The method's two uses of a capture, each step in order: what the main job runs, and what a
 * notebook may run in one cell once it has seen the steps one by one.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import { planTraces } from './candidates';
import type { PlanOptions, TracePlan } from './candidates';
import { isolatedSequences } from './global';
import type { SequenceOptions, TraceSequence } from './global';
import { serveSpans } from './merge';
import { buildProfiles } from './profile';
import type { Profiles } from './profile';
import type { OnProgress } from './progress';
import { activeRanges } from './ranges';
import type { SequenceScorer } from './scorer';
import type { SearchOptions } from './search';
import { activeThreads, detectSignals } from './signals';
import type { Signals, WindowOptions } from './signals';
import { readSpans } from './spans';
import { stitchTraces } from './stitch';
import { threadSequences } from './threads';
import type { ThreadSeq } from './threads';

/** What the pipeline needs of a capture (a loaded Capture has it). */
export interface SpansAndSyscalls {
  spans: Table;
  syscalls: Table;
}

/** Options shared by both phases. */
export interface PipelineOptions extends WindowOptions, SequenceOptions {
  /** Signal threshold (default DEFAULT_THRESHOLD). */
  threshold?: number;
  onProgress?: OnProgress;
  /**
   * Score every syscall of the threads with the idle models (default false: only those inside some
   * span's widened window, scoringRanges, which gives the same stitching with less work).
   */
  scoreAll?: boolean;
}

/** Every intermediate of the isolated phase, for inspection. */
export interface IsolatedAnalysis {
  threads: ThreadSeq[];
  signals: Signals;
  active: Table;
  ranges: Table;
  served: Table;
  profiles: Profiles;
  /** Global sequences of the traces by trace type, read under the profiles: trainTraceModels' input. */
  sequences: Map<string, TraceSequence[]>;
}

/**
 * The isolated phase up to the trace models' input: threads of the services that have spans,
 * signals, active threads, ranges, serving threads and merges, profiles, global sequences.
 */
export async function analyseIsolated(capture: SpansAndSyscalls, idle: ReadonlyMap<string, { scorer: SequenceScorer }>, opts: PipelineOptions = {}): Promise<IsolatedAnalysis> {
  const { threads, signals, active, ranges } = await activeRangesOf(capture, idle, opts);
  const served = serveSpans(ranges, capture.spans);
  const profiles = buildProfiles(served);
  const sequences = isolatedSequences(served, signals, profiles, opts);
  return { threads, signals, active, ranges, served, profiles, sequences };
}

/** The isolated phase over several captures (e.g. one per trace type, as the paper injects them). */
export interface IsolatedSetAnalysis {
  /** Each capture's own analysis, in the order given. */
  perCapture: IsolatedAnalysis[];
  /** Profiles over the instances of all the captures. */
  profiles: Profiles;
  /** Global sequences of the traces of all the captures under the profiles, by trace type. */
  sequences: Map<string, TraceSequence[]>;
}

/**
 * The isolated phase over several captures: each is analysed on its own (its threads and times are
 * its own), then the profiles are built over all their instances and every capture's global
 * sequences are read under those profiles. Trace ids must be unique across the captures.
 */
export async function analyseIsolatedSet(captures: readonly SpansAndSyscalls[], idle: ReadonlyMap<string, { scorer: SequenceScorer }>, opts: PipelineOptions = {}): Promise<IsolatedSetAnalysis> {
  const seen = new Map<string, number>();
  captures.forEach((capture, i) => {
    for (const id of new Set(capture.spans.array('trace_id') as string[])) {
      const other = seen.get(id);
      if (other !== undefined) throw new Error(`analyseIsolatedSet: trace ${id} is in isolated captures #${other + 1} and #${i + 1}; trace ids must be unique across the captures`);
      seen.set(id, i);
    }
  });
  const perCapture: IsolatedAnalysis[] = [];
  for (const capture of captures) perCapture.push(await analyseIsolated(capture, idle, opts));
  const [first, ...rest] = perCapture.map((a) => a.served);
  const profiles = buildProfiles(first ? first.concat(...rest) : aq.table({}));
  const sequences = new Map<string, TraceSequence[]>();
  for (const a of perCapture) {
    for (const [type, list] of isolatedSequences(a.served, a.signals, profiles, opts)) {
      sequences.set(type, [...(sequences.get(type) ?? []), ...list]);
    }
  }
  return { perCapture, profiles, sequences };
}

/** Every intermediate of the live phase, and the stitched spans. */
export interface LiveStitch {
  threads: ThreadSeq[];
  signals: Signals;
  active: Table;
  ranges: Table;
  plans: TracePlan[];
  /** stitchTraces' table. */
  stitched: Table;
}

/** Stitches a live capture with the idle models, the profiles and the trace models. */
export async function stitchCapture(
  capture: SpansAndSyscalls,
  idle: ReadonlyMap<string, { scorer: SequenceScorer }>,
  profiles: Profiles,
  traceModels: ReadonlyMap<string, { scorer: SequenceScorer }>,
  opts: PipelineOptions & SearchOptions & PlanOptions = {},
): Promise<LiveStitch> {
  const { threads, signals, active, ranges } = await activeRangesOf(capture, idle, opts);
  const plans = planTraces(ranges, capture.spans, signals, profiles, opts);
  const stitched = await stitchTraces(plans, traceModels, opts);
  return { threads, signals, active, ranges, plans, stitched };
}

/** The steps both phases share: threads of the services with spans, signals, active threads, ranges. */
async function activeRangesOf(capture: SpansAndSyscalls, idle: ReadonlyMap<string, { scorer: SequenceScorer }>, opts: PipelineOptions) {
  const threads = threadSequences(capture.syscalls, { services: spanServices(capture.spans) });
  const signals = await detectSignals(threads, idle, { ...opts, spans: opts.scoreAll ? undefined : capture.spans });
  const active = activeThreads(capture.spans, signals, opts);
  const ranges = activeRanges(active, capture.spans, signals, opts);
  return { threads, signals, active, ranges };
}

/** The services that have spans: only their threads can serve one. */
function spanServices(spans: Table): string[] {
  return [...new Set(readSpans(spans).map((s) => s.service))];
}
