/**
 * The Sock Shop capture simulator: simulate(opts) and writeSimulatedCapture(dir, opts) make idle,
 * isolated and live captures in the capture format, with thread-level ground truth (truth.csv).
 */
export { simulate, writeSimulatedCapture, slug, SIM_DEFAULTS, SIM_TOOL, SIM_VERSION, type SimOptions, type SimCapture } from './simulate';
export {
  ENDPOINTS, HEALTH, DATA_STORES, PAPER_TRACE_TYPES, LOCUSTFILE_TASK, endpointsWith, healthEndpoint, servicesInvolved, servicesReached,
  type CallNode, type Step, type Endpoint, type Proto, type CountRule,
} from './callgraph';
export { SERVICES, serviceSpec, type ServiceSpec, type Tracer } from './topology';
export { Rng, hashSeed } from './rng';
export type { Mix } from './load';
export type { StorageSpans } from './world';
