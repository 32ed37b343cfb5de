/** Shared reading of simulated captures for the lib/sim tests. */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { SimCapture } from '../../lib/sim';

/** A span row as simulate() returns it. */
export type SpanRow = {
  trace_id: string; span_id: string; parent_id: string; trace_type: string; operation: string; service: string;
  kind: string; start_ns: number; end_ns: number; host: string; pid: number;
};

/** A syscall row as simulate() returns it. */
export type CallRow = { ts_ns: number; host: string; pid: number; tid: number; comm: string; syscall: string; ret: number; dur_ns: number; service: string };

export const spansOf = (c: SimCapture): SpanRow[] => c.spans.objects() as SpanRow[];

/** Every syscall row, in table order (time order). */
export function callsOf(c: SimCapture): CallRow[] {
  return c.syscalls.objects() as CallRow[];
}

/** The syscalls of each thread ("host/tid"), in time order. */
export function callsByThread(c: SimCapture): Map<string, CallRow[]> {
  const out = new Map<string, CallRow[]>();
  for (const r of callsOf(c)) {
    const key = `${r.host}/${r.tid}`;
    let list = out.get(key);
    if (list === undefined) out.set(key, (list = []));
    list.push(r);
  }
  for (const list of out.values()) list.sort((a, b) => a.ts_ns - b.ts_ns);
  return out;
}

/** span_id → "host/tid" of the thread that served it. */
export function truthOf(c: SimCapture): Map<string, string> {
  return new Map((c.truth.objects() as { span_id: string; host: string; tid: number }[]).map((t) => [t.span_id, `${t.host}/${t.tid}`]));
}

/** The calls of `list` that start within [lo, hi]. */
export function within<T extends { ts_ns: number }>(list: readonly T[], lo: number, hi: number): T[] {
  return list.filter((r) => r.ts_ns >= lo && r.ts_ns <= hi);
}

/** A parameter the simulator recorded in the manifest (generator.params). */
export function paramOf(c: SimCapture, key: string): unknown {
  return (c.manifest.generator.params ?? {})[key];
}

/** Every file under `dir` by its relative path, with its bytes: to compare two captures byte for byte. */
export async function files(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(relative(dir, p), await readFile(p));
    }
  };
  await walk(dir);
  return out;
}
