/**
 * The live captures of the experiments: simulated Sock Shop under load, made in memory (simulate's
 * tables are the ones loadCapture builds, so nothing is written to disk). They run on the training
 * captures' deployment (their simulator seed: same placement, pids, host clocks), and each run is
 * its own capture because its name, which labels the simulator's random stream, carries the
 * experiment seed and the run number. Two experiments with the same seed, run and load options
 * stitch the very same capture (Table 2 and the baselines do).
 */
import { simulate, type SimOptions } from '../../lib/sim/index';
import { threadKey } from '../../lib/stitch/index';
import type { LiveCapture } from './methods';

/** The load and the simulator knobs an experiment varies. */
export interface LoadOptions {
  concurrency: number;
  durationS: number;
  replicas?: number;
  noise?: number;
  skewUs?: number;
}

/** A simulated live capture, with what the simulator knows of its threads. */
export interface SimulatedLive extends LiveCapture {
  /** Each thread's role in its runtime's model ("async" for orders' @Async threads), by "host/pid/tid". */
  roles: Map<string, string>;
}

/** A live capture for run `run` of experiment seed `seed`, on deployment `deploymentSeed`. */
export function liveCapture(deploymentSeed: number, seed: number, run: number, load: LoadOptions): SimulatedLive {
  const opts: SimOptions = { mode: 'live', seed: deploymentSeed, name: `experiment-s${seed}-r${run}`, ...load };
  const c = simulate(opts);
  const roles = new Map(c.procs.flatMap((p) => p.threads.map((t) => [threadKey(p.host, p.pid, t.tid), t.role] as [string, string])));
  return { spans: c.spans, syscalls: c.syscalls, truth: c.truth, roles };
}
