/**
 * TensorFlow.js backend choice. The native bindings (@tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node)
 * download libtensorflow when installed, which only works on machines that reach Google's storage:
 * they are optional dependencies, used when present. Otherwise the portable WebAssembly backend runs,
 * and the pure-JS cpu backend is the last resort.
 */
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The backend tf.getBackend() reports after initialisation. */
  name: string;
  /** Why this backend and not a faster one. */
  reason: string;
  /** What was tried, in order, with the error of each that failed. */
  tried: { candidate: string; ok: boolean; error?: string }[];
}

let chosen: BackendInfo | null = null;

/**
 * Initialises the fastest backend that works here, once: tfjs-node-gpu, tfjs-node, wasm, cpu.
 * `prefer` forces one (for comparisons); it fails if that backend does not work.
 */
export async function initBackend(prefer?: BackendName): Promise<BackendInfo> {
  if (chosen && (!prefer || chosen.name === prefer)) return chosen;
  const order: BackendName[] = prefer ? [prefer] : ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
  const tried: BackendInfo['tried'] = [];
  for (const candidate of order) {
    try {
      const name = await activate(candidate);
      const failed = tried.filter((t) => !t.ok).map((t) => t.candidate);
      const reason = failed.length === 0 ? 'first choice' : `${failed.join(', ')} not available`;
      chosen = { name, reason, tried: [...tried, { candidate, ok: true }] };
      return chosen;
    } catch (e) {
      tried.push({ candidate, ok: false, error: e instanceof Error ? e.message.split('\n')[0] : String(e) });
    }
  }
  throw new Error(`no TensorFlow.js backend works: ${tried.map((t) => `${t.candidate}: ${t.error}`).join('; ')}`);
}

/** The backend in use (initialising it if needed), as a one-line description. */
export async function describeBackend(): Promise<string> {
  const info = await initBackend();
  return `${info.name} (${info.reason})`;
}

async function activate(candidate: BackendName): Promise<string> {
  switch (candidate) {
    case 'tensorflow-gpu':
      // The native packages register their backend on import; a failed download leaves them absent.
      require('@tensorflow/tfjs-node-gpu');
      break;
    case 'tensorflow':
      require('@tensorflow/tfjs-node');
      break;
    case 'wasm':
      require('@tensorflow/tfjs-backend-wasm');
      break;
    case 'cpu':
      break;
  }
  if (!(await tf.setBackend(candidate))) throw new Error(`tf.setBackend('${candidate}') returned false`);
  await tf.ready();
  return tf.getBackend();
}
