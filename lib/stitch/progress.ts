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
