/**
 * A live progress line for notebooks: one output that long steps (training, scoring, searching)
 * rewrite in place as they advance, so a cell shows where it is and ends with its last state.
 */
import { progressText, terminalProgress } from '../stitch/progress';
import type { StepProgress } from '../stitch/progress';
import { notebookWriter } from './show';

export { progressText };

let lines = 0;

/**
 * An OnProgress for the stitching steps (and anything reporting StepProgress). In a tslab notebook
 * it keeps one output line, updated in place (Jupyter's update_display_data), so the saved notebook
 * holds the last report; elsewhere it reports to stderr as {@link terminalProgress} does. A report
 * without a detail (a step's closing one) keeps the step's last detail, marked "last:", so that the
 * final line still says how training ended.
 */
export function progressLine(): (p: StepProgress) => void {
  const id = `deepstitch-progress-${process.pid}-${++lines}`;
  let shown = false;
  const terminal = terminalProgress();
  let detail: { step: string; text: string } | null = null;
  return (p) => {
    if (p.detail) detail = { step: p.step, text: p.detail };
    const kept = !p.detail && detail?.step === p.step ? { ...p, detail: `(last: ${detail.text})` } : p;
    const write = notebookWriter();
    if (write === null) return terminal(kept);
    write({ data: { 'text/plain': progressText(kept) }, metadata: {}, transient: { display_id: id } }, shown);
    shown = true;
  };
}
