/**
 * Resumable results: each finished unit of an experiment (one run of one point) is written as a
 * JSON file under results/<name>/points/ as soon as it is done, and read back instead of recomputed
 * on the next invocation, so an interrupted experiment resumes where it stopped. A unit's file name
 * carries a hash of the settings it was computed with and of the code that computes it (the kit's
 * method, model, simulator and loader sources, and the experiments' stitching helpers): changing a
 * setting or that code recomputes, never reuses a result of other code.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/** The sources whose change changes a unit's numbers. */
const CODE = ['lib/capture', 'lib/seq', 'lib/nn', 'lib/stitch', 'lib/sim', 'experiments/lib/methods.ts', 'experiments/lib/live.ts', 'experiments/lib/models.ts', 'experiments/lib/handoff.ts'];

/** A hash of the {@link CODE} sources (every .ts file, by path and content). */
export async function codeFingerprint(): Promise<string> {
  const files: string[] = [];
  const walk = async (path: string): Promise<void> => {
    if (path.endsWith('.ts')) {
      files.push(path);
      return;
    }
    for (const e of await readdir(path, { withFileTypes: true })) {
      if (e.isDirectory() || e.name.endsWith('.ts')) await walk(join(path, e.name));
    }
  };
  for (const c of CODE) await walk(join(ROOT, c));
  const hash = createHash('sha1');
  for (const f of files.sort()) hash.update(`${relative(ROOT, f)}\u0000${await readFile(f, 'utf8')}\u0000`);
  return hash.digest('hex').slice(0, 12);
}

/** The store of one experiment's finished units. */
export class PointStore {
  /** Units read back from disk, and units computed, since the store was opened. */
  reused = 0;
  computed = 0;

  private constructor(readonly dir: string, readonly code: string) {}

  /** Opens results/<name>/points/ under `experimentDir` for the code as it is now; `fresh` deletes what it holds. */
  static async open(experimentDir: string, fresh: boolean): Promise<PointStore> {
    const dir = join(experimentDir, 'points');
    if (fresh) await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return new PointStore(dir, await codeFingerprint());
  }

  /** The unit `key` computed under `settings` by this code: read from its file when present, else computed and written. */
  async get<T>(key: string, settings: unknown, compute: () => Promise<T>): Promise<T> {
    const hash = createHash('sha1').update(JSON.stringify({ settings, code: this.code })).digest('hex').slice(0, 10);
    const file = join(this.dir, `${key.replace(/[^A-Za-z0-9._=-]+/g, '_')}-${hash}.json`);
    try {
      const stored = JSON.parse(await readFile(file, 'utf8')) as { value: T };
      this.reused++;
      return stored.value;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${file}: cannot read a stored result (${(e as Error).message}); delete it or run with --fresh`);
    }
    const value = await compute();
    // Written whole under a temporary name first, so an interrupted write never leaves half a file.
    await writeFile(`${file}.tmp`, JSON.stringify({ key, settings, code: this.code, value }, nanAsNull));
    await rename(`${file}.tmp`, file);
    this.computed++;
    return value;
  }
}

/** A JSON.stringify replacer: JSON has no NaN, so a NaN accuracy (nothing evaluated) is written as null (readers treat null as NaN). */
export function nanAsNull(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}
