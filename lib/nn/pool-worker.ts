/** A kernel worker thread: runs the jobs pool.ts sends it on its own LstmKernel instance. */
import { parentPort } from 'node:worker_threads';
import { LstmKernel } from './kernel';
import type { KernelJob, KernelResult } from './pool';

const kernel = new LstmKernel();

parentPort?.on('message', ({ id, job }: { id: number; job: KernelJob }) => {
  try {
    const result = run(job);
    const buffer = 'probs' in result ? result.probs.buffer : result.grad.buffer;
    parentPort!.postMessage({ id, ...result }, [buffer]);
  } catch (e) {
    parentPort!.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});

function run(job: KernelJob): KernelResult {
  const rows = job.windows.length / job.sizes.n;
  if (job.kind === 'probs') {
    const probs = new Float32Array(rows * job.sizes.vocabSize);
    if (job.prefixTree) kernel.sortedProbabilities(job.params, job.sizes, job.windows, probs);
    else kernel.probabilities(job.params, job.sizes, job.windows, 0, rows, probs);
    return { probs };
  }
  const grad = new Float32Array(job.params.length);
  const loss = kernel.lossAndGradient(job.params, job.sizes, job.windows, job.next, job.weights, grad);
  return { loss, grad };
}
