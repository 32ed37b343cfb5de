/**
 * The loop most experiments are: for each point (a load and a model setting) and each run, a
 * seeded live capture stitched by the point's methods; every (point, run) is one stored unit, so a
 * run already done is read back, and models are trained only when some unit needs them.
 */
import type { ExperimentContext } from './experiment';
import { liveCapture, type LoadOptions } from './live';
import { accuracyRecords, runMethods, type MethodName } from './methods';
import { bundledModels, type ModelSettings } from './models';
import type { RunRecord } from './summary';

/** One point of an experiment. */
export interface Point {
  /** Its value on the experiment's axis (a concurrency, a noise level, "n=5 t=0.1"). */
  x: number | string;
  load: LoadOptions;
  model: ModelSettings;
  methods: readonly MethodName[];
}

/** Runs every point `runs` times (runs 1..runs); the records of every method, trace type and run. */
export async function measure(ctx: ExperimentContext, step: string, points: readonly Point[], runs: number): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  const total = points.length * runs;
  let done = 0;
  for (const p of points) {
    for (let run = 1; run <= runs; run++) {
      ctx.onProgress({ step, done, total, unit: 'runs', detail: `${p.x}, run ${run}` });
      const settings = { load: p.load, model: p.model, methods: p.methods, seed: ctx.seed, run };
      const records = await ctx.store.get(`x=${p.x}-run=${run}`, settings, async () => {
        const models = await bundledModels(p.model, ctx.onProgress, ctx.log);
        const live = liveCapture(models.deploymentSeed, ctx.seed, run, p.load);
        return accuracyRecords(await runMethods(live, models, p.methods, ctx.seed * 1000 + run));
      });
      out.push(...records.map((r) => ({ ...r, run, x: p.x })));
      done++;
    }
  }
  ctx.onProgress({ step, done, total, unit: 'runs' });
  return out;
}
