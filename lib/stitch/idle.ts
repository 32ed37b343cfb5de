/**
 * Step 1 (paper §4.1): one idle model per service, learnt from an idle capture. Each thread of the
 * service gives one syscall sequence; its windows of length n, labelled with the next syscall, are
 * pooled over the service's threads and deduplicated with counts (idle routines repeat, so unique
 * pairs are few) before the model is fitted (from the model cache when it holds it).
 *
 * Each thread's sequence is start-padded (scorer's padStart), as the trace models' are, so that
 * detectSignals can score a thread's first n syscalls too. Departure from the paper, which does not
 * say what happens to them: without it a thread with at most n syscalls in a capture (a Java
 * @Async thread started for one call, a worker of a pool that serves one request, a database
 * connection thread) could never have a signal syscall, and so never be an active thread.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import { reportEpochs } from './progress';
import type { OnProgress } from './progress';
import { DEFAULT_N, fitScorer, padStart } from './scorer';
import type { FitOptions, FittedScorer } from './scorer';
import { threadSequences } from './threads';

/** A service's idle model. */
export interface IdleModel extends FittedScorer {
  service: string;
  /** Threads and syscalls of the service in the idle capture. */
  threads: number;
  syscalls: number;
}

/** The idle models by service, and the services that got none, with why. */
export interface IdleModels {
  models: Map<string, IdleModel>;
  skipped: { service: string; reason: string }[];
}

/** Options of {@link trainIdleModels}. */
export interface IdleOptions extends FitOptions {
  /** Train these services only (default: every service of the capture but "unknown"). */
  services?: readonly string[];
  /** Per service, and per training epoch of the LSTM. */
  onProgress?: OnProgress;
}

/** Trains (or loads from the cache) one idle model per service from an idle capture's syscalls table. */
export async function trainIdleModels(syscalls: Table, opts: IdleOptions = {}): Promise<IdleModels> {
  const byService = new Map<string, string[][]>();
  for (const t of threadSequences(syscalls, { services: opts.services })) {
    const list = byService.get(t.service);
    if (list) list.push(t.syscalls);
    else byService.set(t.service, [t.syscalls]);
  }
  const out: IdleModels = { models: new Map(), skipped: [] };
  for (const service of opts.services ?? []) {
    if (!byService.has(service)) out.skipped.push({ service, reason: 'no syscalls in the idle capture' });
  }
  const services = [...byService.keys()];
  for (const [i, service] of services.entries()) {
    const seqs = byService.get(service)!;
    const report = (detail: string) => opts.onProgress?.({ step: 'idle models', done: i, total: services.length, unit: 'services', detail: `${service}: ${detail}` });
    report('fitting');
    const train = reportEpochs(opts.train, report);
    const fit = await fitScorer(seqs.map((s) => padStart(s, opts.n ?? DEFAULT_N)), { ...opts, train });
    out.models.set(service, { ...fit, service, threads: seqs.length, syscalls: seqs.reduce((s, q) => s + q.length, 0) });
  }
  opts.onProgress?.({ step: 'idle models', done: services.length, total: services.length, unit: 'services' });
  return out;
}

/** One row per idle model: service, threads, syscalls, windows, unique, ratio, vocab, kind, cached, epochs, loss. */
export function idleTable(idle: IdleModels): Table {
  const models = [...idle.models.values()];
  return aq.table({
    service: models.map((m) => m.service),
    threads: models.map((m) => m.threads),
    syscalls: models.map((m) => m.syscalls),
    windows: models.map((m) => m.windows.total),
    unique: models.map((m) => m.windows.unique),
    ratio: models.map((m) => m.windows.ratio),
    vocab: models.map((m) => m.vocab.size),
    kind: models.map((m) => m.kind),
    cached: models.map((m) => m.cached),
    epochs: models.map((m) => m.history?.epochs.length ?? null),
    loss: models.map((m) => m.history?.bestLoss ?? null),
  });
}
