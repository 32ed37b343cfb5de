/**
 * A progress line for command-line runs: redrawn in place on a terminal, one line per step (and
 * per tenth of it) when the output is a file or CI log, so logs stay readable.
 */
import type { StepProgress } from '../../lib/stitch/progress';

/** Returns an OnProgress that writes to stderr. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): (p: StepProgress) => void {
  let lastStep = '';
  let lastTenth = -1;
  return (p) => {
    const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
    const line = `[${p.step}] ${p.done}/${p.total} ${p.unit} (${pct}%)${p.detail ? ` ${p.detail}` : ''}`;
    if (stream.isTTY) {
      stream.write(`\r\x1b[K${line.slice(0, (stream.columns ?? 120) - 1)}`);
      if (p.done === p.total) stream.write('\n');
      return;
    }
    const tenth = Math.floor(pct / 10);
    if (p.step !== lastStep || tenth !== lastTenth) stream.write(`${line}\n`);
    lastStep = p.step;
    lastTenth = tenth;
  };
}
