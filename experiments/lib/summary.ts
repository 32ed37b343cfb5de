/**
 * Per-run accuracy records summarised over runs: mean and 95% t-interval of each run's accuracy,
 * grouped by the given keys (point, method, trace type). A run in which a trace type has no trace
 * gives no value for it (not a zero).
 */
import { formatCsvField } from '../../lib/capture/index';
import type { AccuracyRecord } from './methods';
import { mean, tInterval } from './stats';

/** An accuracy record of one run of one point. */
export type RunRecord = AccuracyRecord & { run: number; x: number | string };

/** The summary columns after the grouping keys. */
export const SUMMARY_COLUMNS = [
  'runs', 'traces', 'acc_process', 'acc_process_lo', 'acc_process_hi', 'acc_thread', 'acc_thread_lo', 'acc_thread_hi',
  'span_acc_process', 'span_acc_thread', 'seconds',
] as const;

/** One summary row: the keys' values, then {@link SUMMARY_COLUMNS}. */
export type SummaryRow = Record<string, string | number | null>;

/** A stored number: null (a NaN written to JSON) reads as NaN. */
function num(v: number | null): number {
  return v === null ? NaN : v;
}

/** Groups records by `keys` (in first-seen order) and summarises each group. */
export function summarise(records: readonly RunRecord[], keys: readonly (keyof RunRecord)[]): SummaryRow[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    const k = JSON.stringify(keys.map((key) => r[key]));
    const list = groups.get(k);
    if (list) list.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.values()].map((list) => {
    const present = list.filter((r) => r.traces > 0);
    const p = tInterval(present.map((r) => num(r.acc_process)));
    const t = tInterval(present.map((r) => num(r.acc_thread)));
    return {
      ...Object.fromEntries(keys.map((key) => [key, list[0][key]])),
      runs: p.n,
      traces: list.reduce((s, r) => s + r.traces, 0),
      acc_process: p.mean, acc_process_lo: p.lo, acc_process_hi: p.hi,
      acc_thread: t.mean, acc_thread_lo: t.lo, acc_thread_hi: t.hi,
      span_acc_process: mean(present.map((r) => num(r.span_acc_process))),
      span_acc_thread: mean(present.map((r) => num(r.span_acc_thread))),
      seconds: mean(list.map((r) => r.seconds)),
    };
  });
}

/** Rows as CSV with the given columns (NaN and null as empty fields). */
export function toCsv(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const cell = (v: unknown) => (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : formatCsvField(v as string | number));
  return `${[columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n')}\n`;
}
