/** Every experiment of `npm run experiments`, in the order the list and the report show them. */
import { experiment as baselines } from '../exp/baselines';
import { experiment as handoff } from '../exp/handoff';
import { experiment as sweepConcurrency } from '../exp/sweep-concurrency';
import { experiment as sweepNThreshold } from '../exp/sweep-n-threshold';
import { experiment as sweepNoise } from '../exp/sweep-noise';
import { experiment as sweepReplicas } from '../exp/sweep-replicas';
import { experiment as sweepSkew } from '../exp/sweep-skew';
import { experiment as table2x100 } from '../exp/table2-100';
import type { Experiment } from './experiment';

/** The experiments, by name, in order. */
export const EXPERIMENTS: readonly Experiment[] = [table2x100, baselines, handoff, sweepConcurrency, sweepReplicas, sweepNoise, sweepSkew, sweepNThreshold];

/** The experiment called `name`; throws naming the known ones. */
export function experimentNamed(name: string): Experiment {
  const e = EXPERIMENTS.find((x) => x.name === name);
  if (e === undefined) throw new Error(`unknown experiment "${name}"; run without arguments for the list: ${EXPERIMENTS.map((x) => x.name).join(', ')}`);
  return e;
}
