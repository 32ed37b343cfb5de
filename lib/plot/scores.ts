/**
 * The samples the thresholds and ranges figures draw, read from the stitching steps' outputs: idle
 * model scores per service, the scores of the syscalls serving threads made inside their spans, and
 * signal syscalls as points.
 */
import type { Table } from '../capture/types';
import { DEFAULT_TOLERANCE_NS } from '../stitch/index';
import type { Signals } from '../stitch/index';
import { rangeOf } from '../stitch/threads';
import type { SignalRow } from './ranges';

/** Every scored syscall's score per service (detectSignals' scores; of an idle capture, the idle syscalls). */
export function scoresByService(signals: Signals): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [service, list] of signals.byService) {
    const all = new Float32Array(list.reduce((s, t) => s + t.scores.length, 0));
    let at = 0;
    for (const t of list) {
      all.set(t.scores, at);
      at += t.scores.length;
    }
    out.set(service, all);
  }
  return out;
}

/**
 * The scores of the syscalls that serving threads made inside the spans they serve, per service:
 * the active syscalls. `served` is serveSpans' table (rows with a thread); each syscall counts once
 * even when it lies in several of its thread's spans (nested or merged ones). Span windows are
 * widened by `toleranceNs`, as the stitching steps widen them.
 */
export function servedScores(signals: Signals, served: Table, toleranceNs = DEFAULT_TOLERANCE_NS): Map<string, Float32Array> {
  const [threads, starts, ends] = ['thread', 'start_ns', 'end_ns'].map((c) => served.array(c));
  const picked = new Map<string, Set<number>>();
  for (let r = 0; r < served.numRows(); r++) {
    const key = threads[r] as string;
    const t = signals.threads.get(key);
    if (t === undefined) continue;
    const [a, b] = [(starts[r] as number) - toleranceNs, (ends[r] as number) + toleranceNs];
    let set = picked.get(key);
    if (set === undefined) picked.set(key, (set = new Set()));
    const [from, to] = rangeOf(t.thread.ts, a, b);
    for (let i = from; i < to; i++) set.add(i);
  }
  const byService = new Map<string, number[]>();
  for (const [key, set] of picked) {
    const t = signals.threads.get(key)!;
    const list = byService.get(t.thread.service) ?? [];
    for (const i of [...set].sort((x, y) => x - y)) list.push(t.scores[i]);
    byService.set(t.thread.service, list);
  }
  return new Map([...byService].map(([s, list]) => [s, Float32Array.from(list)]));
}

/** The signal syscalls of the given threads as rows (thread, ts_ns), for activeRangesFigure. */
export function signalRows(signals: Signals, threads: Iterable<string>): SignalRow[] {
  const rows: SignalRow[] = [];
  for (const key of new Set(threads)) {
    const t = signals.threads.get(key);
    if (t !== undefined) for (const ts of t.signalTs) rows.push({ thread: key, ts_ns: ts });
  }
  return rows;
}
