/**
 * The paper's Table 2 (prediction accuracy per trace type) beside the kit's own evaluation.
 * Accuracy here is per trace, as the paper checks "which process Deepstitch considers to be
 * involved in each request": a trace counts as right when every one of its evaluated spans is.
 * The per-span accuracies are kept beside it.
 */
import type { Evaluation } from './evaluate';

/** The paper's Table 2: trace type, services involved, accuracy (a fraction). */
export const PAPER_TABLE2: readonly { trace_type: string; services: number; acc: number }[] = [
  { trace_type: 'GET /orders', services: 7, acc: 0.9138 },
  { trace_type: 'GET /catalogue/{id}', services: 3, acc: 0.8947 },
  { trace_type: 'GET /customers', services: 3, acc: 0.8931 },
  { trace_type: 'GET /login', services: 3, acc: 0.8454 },
  { trace_type: 'GET /health', services: 1, acc: 0.7425 },
];

/** One row of the kit's Table 2. Accuracies are fractions 0..1 (NaN when nothing was evaluated). */
export interface Table2Row {
  trace_type: string;
  /** Services of a typical trace of the type (Accuracy.services). */
  services: number;
  traces: number;
  /** Per trace: every span's process (host, pid) right / every span's thread right. */
  acc_process: number;
  acc_thread: number;
  /** Per span. */
  span_acc_process: number;
  span_acc_thread: number;
  /** Fraction of the type's truth spans that were stitched (given a thread), right or wrong. */
  coverage: number;
  /** The paper's figures for this trace type, null when the paper has no row for it. */
  paper_services: number | null;
  paper_acc: number | null;
}

/** Table 2 rows from an evaluation: the paper's trace types first, in its order, then the others. */
export function table2(evaluation: Evaluation): Table2Row[] {
  const rows = evaluation.byType.objects() as Record<string, unknown>[];
  const order = (t: string) => {
    const i = PAPER_TABLE2.findIndex((p) => p.trace_type === t);
    return i < 0 ? PAPER_TABLE2.length : i;
  };
  return rows
    .map((r) => {
      const type = r.trace_type as string;
      const paper = PAPER_TABLE2.find((p) => p.trace_type === type);
      return {
        trace_type: type,
        services: r.services as number,
        traces: r.traces as number,
        acc_process: r.trace_acc_process as number,
        acc_thread: r.trace_acc_thread as number,
        span_acc_process: r.acc_process as number,
        span_acc_thread: r.acc_thread as number,
        coverage: r.coverage as number,
        paper_services: paper?.services ?? null,
        paper_acc: paper?.acc ?? null,
      };
    })
    .sort((a, b) => order(a.trace_type) - order(b.trace_type) || (a.trace_type < b.trace_type ? -1 : 1));
}

/** Table 2 as aligned text, with the data's source in the title. */
export function formatTable2(rows: readonly Table2Row[], source: string): string {
  const pct = (x: number | null) => (x === null ? '—' : Number.isNaN(x) ? 'n/a' : `${(100 * x).toFixed(2)}%`);
  const head = ['trace type', 'services', 'traces', 'acc (process)', 'acc (thread)', 'coverage', 'paper services', 'paper acc'];
  const body = rows.map((r) => [r.trace_type, String(r.services), String(r.traces), pct(r.acc_process), pct(r.acc_thread), pct(r.coverage),
    r.paper_services === null ? '—' : String(r.paper_services), pct(r.paper_acc)]);
  return alignedTable(`Table 2 (${source} data; accuracy per trace)`, head, body);
}

/** A title, then a text table: the first column left-aligned, the others right-aligned, a rule under the head. */
export function alignedTable(title: string, head: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [title, line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
