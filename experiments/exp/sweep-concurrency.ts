/** sweep-concurrency: Locust users 1, 2, 4, 8, 16: how accuracy and stitching time follow the load. */
import { sweepExperiment } from '../lib/sweep';

export const experiment = sweepExperiment({
  name: 'sweep-concurrency',
  summary: 'concurrency 1, 2, 4, 8, 16: accuracy and stitching time of Deepstitch and every baseline',
  axis: 'concurrency',
  values: [1, 2, 4, 8, 16],
  quickValues: [1, 2],
  load: (concurrency, base) => ({ ...base, concurrency }),
  logX: true,
  about: 'More concurrent requests put more active threads inside each span, so more candidate combinations and more chances to pick a thread of another request. The models are the same at every point (trained on one-at-a-time captures).',
});
