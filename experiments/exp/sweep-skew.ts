/** sweep-skew: the hosts' clock error against the span clock, in µs. */
import { sweepExperiment } from '../lib/sweep';

export const experiment = sweepExperiment({
  name: 'sweep-skew',
  summary: 'clock skew ±0, 30, 100, 300, 1000 µs between hosts (c2): accuracy and stitching time',
  axis: 'skewUs',
  values: [0, 30, 100, 300, 1000],
  quickValues: [0, 300],
  load: (skewUs, base) => ({ ...base, skewUs }),
  about: "Each host's clock is off true time by a skew uniform in ±skewUs (lib/sim; 30 µs by default). A host's spans and its syscalls share its clock, so skew moves the spans of different hosts against each other. Skew is a presentation option of the simulator: at every level the captures hold the same events, so the points are paired.",
});
