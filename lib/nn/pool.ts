/**
 * Worker threads running the LSTM kernel, so that scoring uses every core and training the
 * gradient shards' (GRAD_SHARDS in fast.ts) while the WebAssembly kernel is single-threaded. Jobs are pure functions of their inputs and each lands in its own
 * slot of the result, so results do not depend on which worker ran what, nor on how many there are.
 *
 * The entry is a small CommonJS file (pool-worker.cjs) that registers tsx's require hook and loads
 * pool-worker.ts: that works under the tsx CLI, node --import tsx (tests) and plain node (tslab
 * notebooks). Idle workers are unref'd, so they never keep a process alive.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { KernelSizes } from './kernel';

/** A job for a worker: probabilities of some windows (sorted, over their prefix tree, or each on its own), or the loss and gradient of a batch. */
export type KernelJob =
  | { kind: 'probs'; params: Float32Array; sizes: KernelSizes; windows: Int32Array; prefixTree: boolean }
  | { kind: 'grad'; params: Float32Array; sizes: KernelSizes; windows: Int32Array; next: Int32Array; weights: Float32Array };

/** A job's result: [rows, V] probabilities, or the weighted loss sum and its gradient. */
export type KernelResult = { probs: Float32Array } | { loss: number; grad: Float32Array };

interface Slot {
  worker: Worker;
  busy: boolean;
}

interface Pending {
  resolve: (r: KernelResult) => void;
  reject: (e: Error) => void;
  slot: Slot;
}

/** A fixed set of kernel workers; `run` queues a job for the next free one. */
export class KernelPool {
  private readonly slots: Slot[] = [];
  private readonly queue: { job: KernelJob; pending: Omit<Pending, 'slot'> }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Set once a worker has failed or the pool was terminated: the pool then takes no more jobs. */
  private closedBy: Error | null = null;

  constructor(readonly size: number) {
    for (let k = 0; k < size; k++) {
      const worker = new Worker(path.join(__dirname, 'pool-worker.cjs'));
      const slot: Slot = { worker, busy: false };
      worker.on('message', (msg: { id: number; error?: string } & KernelResult) => this.settle(msg));
      worker.on('error', (e) => this.close(e));
      worker.on('exit', (code) => this.close(new Error(`kernel worker exited (code ${code})`)));
      worker.unref();
      this.slots.push(slot);
    }
  }

  /** False once a worker failed or the pool was terminated. */
  get open(): boolean {
    return this.closedBy === null;
  }

  /** Runs a job on a worker (inputs are copied, not transferred). */
  run(job: KernelJob): Promise<KernelResult> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    return new Promise((resolve, reject) => {
      this.queue.push({ job, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  /** Stops the workers; queued and running jobs fail. */
  async terminate(): Promise<void> {
    this.close(new Error('kernel pool terminated'));
    // A stopping worker holds no reference on the event loop: a timer keeps the process until they exit.
    const alive = setInterval(() => undefined, 1000);
    try {
      await Promise.all(this.slots.map((s) => s.worker.terminate()));
    } finally {
      clearInterval(alive);
    }
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      const { job, pending } = this.queue.shift()!;
      const id = this.nextId++;
      slot.busy = true;
      // Referenced while it works, so that awaiting its result keeps the process alive.
      slot.worker.ref();
      this.pending.set(id, { ...pending, slot });
      slot.worker.postMessage({ id, job });
    }
  }

  private settle(msg: { id: number; error?: string } & KernelResult): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    p.slot.busy = false;
    p.slot.worker.unref();
    if (msg.error !== undefined) p.reject(new Error(`kernel worker: ${msg.error}`));
    else p.resolve(msg);
    this.dispatch();
  }

  /** Fails every queued and running job, and refuses new ones. */
  private close(e: Error): void {
    this.closedBy ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    for (const q of this.queue.splice(0)) q.pending.reject(e);
    for (const slot of this.slots) slot.worker.unref();
  }
}

/** The process's open pools, one per size: a caller asking for another size never stops another's jobs. */
const pools = new Map<number, KernelPool>();
/** Terminations of pools that closed, awaited by {@link terminateKernelPools}. */
const stopping = new Set<Promise<void>>();

/** Workers the engine uses by default: one per core (os.availableParallelism), at most 8. */
export function defaultWorkers(): number {
  return Math.min(8, os.availableParallelism());
}

/** The process's pool of `size` workers, created on first use, and anew once it has closed (a failed worker or a terminate). */
export function kernelPool(size: number): KernelPool {
  const pool = pools.get(size);
  if (pool?.open) return pool;
  if (pool) retire(pool);
  const fresh = new KernelPool(size);
  pools.set(size, fresh);
  return fresh;
}

/** Terminates every pool (their queued and running jobs fail) and waits until all their workers have exited. */
export async function terminateKernelPools(): Promise<void> {
  for (const pool of pools.values()) retire(pool);
  pools.clear();
  await Promise.all(stopping);
}

/** Stops a pool's remaining workers (a closed pool may still have live ones), tracked until they exit. */
function retire(pool: KernelPool): void {
  // Never rejects: a worker that cannot be stopped has already failed its jobs.
  const done = pool
    .terminate()
    .catch(() => undefined)
    .finally(() => stopping.delete(done));
  stopping.add(done);
}
