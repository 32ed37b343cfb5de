/**
 * The models every experiment stitches with: idle models, profiles and trace models trained from the
 * bundled simulated captures (data/sockshop: one idle, one isolated per trace type), as the main job
 * trains them (LSTMs from the model cache, trainCached, or exact n-gram counts). Each setting of
 * (scorer, n, threshold) is trained once per process and shared by every run and experiment.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadCapture, type Capture } from '../../lib/capture/index';
import {
  DEFAULT_N, DEFAULT_THRESHOLD, analyseIsolatedSet, trainIdleModels, trainTraceModels,
  type IdleModels, type OnProgress, type Profiles, type ScorerKind, type TraceModels,
} from '../../lib/stitch/index';

/** The bundled captures' folder. */
export const BUNDLED_DIR = resolve(__dirname, '..', '..', 'data', 'sockshop');

/** What the models are trained with. */
export interface ModelSettings {
  scorer: ScorerKind;
  n: number;
  threshold: number;
}

/** Trained models, ready for stitchCapture. */
export interface Models extends ModelSettings {
  idle: IdleModels;
  profiles: Profiles;
  trace: TraceModels;
  /** The simulator seed of the training captures: live captures use it so they run on the same deployment. */
  deploymentSeed: number;
}

interface Bundled {
  idle: Capture;
  isolated: Capture[];
}

let bundled: Promise<Bundled> | null = null;
const idleCache = new Map<string, Promise<IdleModels>>();
const modelCache = new Map<string, Promise<Models>>();

/** The bundled idle and isolated captures, loaded once. */
function bundledCaptures(): Promise<Bundled> {
  bundled ??= (async () => {
    const names = (await readdir(BUNDLED_DIR)).sort();
    const idleName = names.find((d) => d.startsWith('sockshop-sim-idle'));
    const isolatedNames = names.filter((d) => d.startsWith('sockshop-sim-isolated-'));
    if (idleName === undefined || isolatedNames.length === 0) throw new Error(`${BUNDLED_DIR}: bundled captures missing; run npm run data:sockshop`);
    const idle = await loadCapture(join(BUNDLED_DIR, idleName));
    const isolated = [];
    for (const d of isolatedNames) isolated.push(await loadCapture(join(BUNDLED_DIR, d)));
    return { idle, isolated };
  })();
  return bundled;
}

/** The models of one setting, trained (or taken from the model cache) on first use; `log` hears of services and trace types left without a model. */
export function bundledModels(settings: ModelSettings, onProgress?: OnProgress, log: (msg: string) => void = () => {}): Promise<Models> {
  const key = `${settings.scorer}|${settings.n}|${settings.threshold}`;
  let models = modelCache.get(key);
  if (models === undefined) {
    models = (async () => {
      const { idle: idleCapture, isolated } = await bundledCaptures();
      const fit = { n: settings.n, scorer: settings.scorer, onProgress };
      // Idle models depend on n only: a threshold sweep reuses them.
      const idleKey = `${settings.scorer}|${settings.n}`;
      let idle = idleCache.get(idleKey);
      if (idle === undefined) idleCache.set(idleKey, (idle = trainIdleModels(idleCapture.syscalls, fit)));
      const idleModels = await idle;
      const analysis = await analyseIsolatedSet(isolated, idleModels.models, { threshold: settings.threshold, onProgress });
      const trace = await trainTraceModels(analysis.sequences, fit);
      for (const s of idleModels.skipped) log(`${key}: idle model skipped: ${s.service}: ${s.reason}`);
      for (const s of trace.skipped) log(`${key}: trace model skipped: ${s.traceType}: ${s.reason}`);
      const seed = idleCapture.manifest.generator.seed;
      return { ...settings, idle: idleModels, profiles: analysis.profiles, trace, deploymentSeed: typeof seed === 'number' ? seed : 1 };
    })();
    modelCache.set(key, models);
  }
  return models;
}

/** The main job's model setting (n, threshold) under the given scorer. */
export function defaultModel(opts: { scorer: ScorerKind }): ModelSettings {
  return { scorer: opts.scorer, n: DEFAULT_N, threshold: DEFAULT_THRESHOLD };
}
