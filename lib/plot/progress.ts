/**
 * A live progress line for notebooks: one output that long steps (training, scoring, searching)
 * rewrite in place as they advance, so a cell shows where it is and ends with its last state.
 */
import type { StepProgress } from '../stitch/progress';
import { notebookWriter } from './show';

/** A progress report as one line: "[idle models] 3/14 services (21%) user: epoch 2/5 loss 0.1234". */
export function progressText(p: StepProgress): string {
  const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
  return `[${p.step}] ${p.done}/${p.total} ${p.unit} (${pct}%)${p.detail ? ` ${p.detail}` : ''}`;
}

let lines = 0;

/**
 * An OnProgress for the stitching steps (and anything reporting StepProgress). In a tslab notebook
 * it keeps one output line, updated in place (Jupyter's update_display_data), so the saved notebook
 * holds the last report; elsewhere it prints a line to stderr whenever the step changes or its
 * count advances. A report without a detail (a step's closing one) keeps the step's last detail,
 * marked "last:", so that the final line still says how training ended.
 */
export function progressLine(): (p: StepProgress) => void {
  const id = `deepstitch-progress-${process.pid}-${++lines}`;
  let shown = false;
  let last = '';
  let detail: { step: string; text: string } | null = null;
  return (p) => {
    if (p.detail) detail = { step: p.step, text: p.detail };
    const kept = !p.detail && detail?.step === p.step ? { ...p, detail: `(last: ${detail.text})` } : p;
    const text = progressText(kept);
    const write = notebookWriter();
    if (write === null) {
      const head = `${p.step} ${p.done}/${p.total}`;
      if (head !== last) process.stderr.write(`${text}\n`);
      last = head;
      return;
    }
    write({ data: { 'text/plain': text }, metadata: {}, transient: { display_id: id } }, shown);
    shown = true;
  };
}
