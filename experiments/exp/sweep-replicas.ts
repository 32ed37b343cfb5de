/** sweep-replicas: 1 to 4 replicas of every service at concurrency 2. */
import { sweepExperiment } from '../lib/sweep';

export const experiment = sweepExperiment({
  name: 'sweep-replicas',
  summary: 'replicas 1-4 of every service (c2): accuracy and stitching time of Deepstitch and every baseline',
  axis: 'replicas',
  values: [1, 2, 3, 4],
  quickValues: [1, 2],
  load: (replicas, base) => ({ ...base, replicas }),
  about: 'More replicas mean more candidate processes per service, but fewer concurrent requests sharing one. Replicas change the deployment (placement, pids) the live captures run on; the models, trained on the bundled captures (2 replicas), are per service and per trace type, so they apply unchanged.',
});
