/** sweep-noise: the simulator's noise (optional syscalls and idle routines' rate) in the live captures. */
import { sweepExperiment } from '../lib/sweep';

export const experiment = sweepExperiment({
  name: 'sweep-noise',
  summary: 'background noise 0, 0.5, 1, 2, 4 in the live captures (c2): accuracy and stitching time',
  axis: 'noise',
  values: [0, 0.5, 1, 2, 4],
  quickValues: [0, 2],
  load: (noise, base) => ({ ...base, noise }),
  about: "lib/sim's noise scales the idle routines' rate and the chance of optional syscalls in handlers (spurious wake-ups, spins, lock contention); 1 is the default the models were trained at (the bundled captures). The live captures vary it alone: this measures robustness to a background the models did not see, not the method retrained at each level.",
});
