/** Progress reports of the long stitching steps (scoring, training, searching), for a bar or a notebook line. */
import type { EpochProgress, TrainOptions } from '../nn/train';

/** How far a step is: `done` of `total` units (`unit` names them), with an optional note. */
export interface StepProgress {
  step: string;
  done: number;
  total: number;
  unit: string;
  detail?: string;
}

/** Called as a step advances. */
export type OnProgress = (p: StepProgress) => void;

/** Training options that also pass each epoch to `report` as a line ("epoch 3/50 loss 0.1234"). */
export function reportEpochs(train: TrainOptions | undefined, report: (detail: string) => void): TrainOptions {
  return {
    ...train,
    onEpoch: (e: EpochProgress) => {
      train?.onEpoch?.(e);
      report(`epoch ${e.epoch}/${e.maxEpochs} loss ${e.loss.toFixed(4)}`);
    },
  };
}

/** A progress report as one line: "[idle models] 3/14 services (21%) user: epoch 2/5 loss 0.1234". */
export function progressText(p: StepProgress): string {
  const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
  return `[${p.step}] ${p.done}/${p.total} ${p.unit} (${pct}%)${p.detail ? ` ${p.detail}` : ''}`;
}

/**
 * An OnProgress for command-line runs: one line redrawn in place on a terminal; on a file or CI log,
 * a line per step and per tenth of it, so logs stay readable.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): OnProgress {
  let lastStep = '';
  let lastTenth = -1;
  return (p) => {
    const line = progressText(p);
    if (stream.isTTY) {
      stream.write(`\r\x1b[K${line.slice(0, (stream.columns ?? 120) - 1)}`);
      if (p.done === p.total) stream.write('\n');
      return;
    }
    const tenth = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 10;
    if (p.step !== lastStep || tenth !== lastTenth) stream.write(`${line}\n`);
    lastStep = p.step;
    lastTenth = tenth;
  };
}
