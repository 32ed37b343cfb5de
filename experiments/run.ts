/**
 * `npm run experiments`: the experiments beyond the paper (baselines, sweeps, hand-off categories,
 * Table 2 over 100 captures). Without a name, lists them; with one, runs it and rewrites
 * results/report.html with every result there.
 *
 *   npm run experiments
 *   npm run experiments -- NAME [--runs K] [--quick] [--fresh] [--scorer lstm|ngram] [--seed S]
 *                              [--duration SECONDS] [--out DIR]
 *
 * Every finished run is kept under OUT/NAME/points/ and reused on the next invocation (--fresh
 * recomputes); results go to OUT/NAME/NAME.{json,csv,html}; OUT defaults to the kit's results/.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend } from '../lib/nn/backend';
import { runExperiment } from './lib/experiment';
import { EXPERIMENTS, experimentNamed } from './lib/registry';
import { gatherReport } from './lib/report';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      runs: { type: 'string' },
      quick: { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
      scorer: { type: 'string', default: 'lstm' },
      seed: { type: 'string', default: '1' },
      duration: { type: 'string' },
      out: { type: 'string', default: resolve(__dirname, '..', 'results') },
    },
  });
  if (positionals.length === 0) {
    const width = Math.max(...EXPERIMENTS.map((e) => e.name.length));
    console.log('Experiments (npm run experiments -- NAME [--runs K] [--quick] [--fresh] [--scorer lstm|ngram] [--seed S] [--duration S] [--out DIR]):');
    for (const e of EXPERIMENTS) console.log(`  ${e.name.padEnd(width)}  ${e.summary}`);
    return;
  }
  if (positionals.length > 1) throw new Error(`one experiment at a time, got ${positionals.join(' ')}`);
  const exp = experimentNamed(positionals[0]);
  const scorer = values.scorer;
  if (scorer !== 'lstm' && scorer !== 'ngram') throw new Error(`--scorer: expected lstm or ngram, got ${scorer}`);
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  if (runs !== undefined && !(Number.isInteger(runs) && runs >= 1)) throw new Error(`--runs: expected a positive integer, got ${values.runs}`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed: expected an integer, got ${values.seed}`);
  const durationS = values.duration === undefined ? undefined : Number(values.duration);
  if (durationS !== undefined && !(durationS > 0)) throw new Error(`--duration: expected seconds > 0, got ${values.duration}`);
  if (scorer === 'lstm') process.stderr.write(`backend: ${await describeBackend()}\n`);
  const resultsDir = resolve(values.out!);
  await runExperiment(exp, { resultsDir, fresh: values.fresh!, quick: values.quick!, scorer, runs, seed, durationS });
  const report = await gatherReport(resultsDir);
  process.stderr.write(`wrote ${report.path} (${report.table2 ? 'Table 2 and ' : ''}${report.experiments.join(', ')})\n`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
