/**
 * Writes one phase of the real shop as a capture folder (CAPTURE-FORMAT.md, source "real"):
 * the services' OTLP documents merged into traces/otlp.json, truth.csv from the spans' own
 * process.pid resource attribute and thread.id span attribute (ground truth only), processes.csv
 * and manifest.json beside the syscall files the recorder wrote.
 */
import * as aq from 'arquero';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeManifest, writeProcesses, writeTruth, type CaptureMode, type Manifest, type SyscallFileEntry } from '../../lib/capture/index';
import type { Instance } from './shop';

/** An OTLP attribute as the services write it. */
interface Attribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number };
}

/** The parts of an OTLP document that truth.csv needs. */
interface OtlpDoc {
  resourceSpans: { resource: { attributes: Attribute[] }; scopeSpans: { spans: { traceId: string; spanId: string; attributes?: Attribute[] }[] }[] }[];
}

/** The OTLP file's path inside a capture. */
export const TRACES_PATH = 'traces/otlp.json';

/** One truth row per span of the documents: the thread its own service said served it. */
export function truthRows(docs: readonly unknown[], host: string): { trace_id: string; span_id: string; host: string; pid: number; tid: number }[] {
  const rows = [];
  for (const doc of docs as OtlpDoc[]) {
    for (const rs of doc.resourceSpans) {
      const pid = Number(attribute(rs.resource.attributes, 'process.pid'));
      for (const scope of rs.scopeSpans) {
        for (const s of scope.spans) {
          const tid = Number(attribute(s.attributes ?? [], 'thread.id'));
          if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(tid)) throw new Error(`span ${s.traceId}/${s.spanId}: no process.pid or thread.id attribute`);
          rows.push({ trace_id: s.traceId, span_id: s.spanId, host, pid, tid });
        }
      }
    }
  }
  return rows;
}

function attribute(attrs: readonly Attribute[], key: string): string | number | undefined {
  const a = attrs.find((x) => x.key === key);
  return a?.value.intValue ?? a?.value.stringValue;
}

/** What one phase folder holds besides the syscall files already in it. */
export interface PhaseCapture {
  dir: string;
  name: string;
  mode: CaptureMode;
  host: string;
  instances: readonly Instance[];
  /** The OTLP documents the services handed over after the phase (one per instance). */
  spanDocs: readonly unknown[];
  syscalls: SyscallFileEntry[];
  seed: number;
  params: Record<string, unknown>;
}

/** Writes traces, truth (when there are spans), processes and the manifest of a phase. */
export async function writePhase(p: PhaseCapture): Promise<{ spans: number }> {
  const resourceSpans = (p.spanDocs as OtlpDoc[]).flatMap((d) => d.resourceSpans).filter((rs) => rs.scopeSpans.some((s) => s.spans.length > 0));
  const truth = truthRows(p.spanDocs, p.host);
  if (resourceSpans.length > 0) {
    await mkdir(join(p.dir, 'traces'), { recursive: true });
    await writeFile(join(p.dir, TRACES_PATH), `${JSON.stringify({ resourceSpans })}\n`);
  }
  if (truth.length > 0) await writeTruth(join(p.dir, 'truth.csv'), aq.from(truth));
  await writeProcesses(join(p.dir, 'processes.csv'), aq.from(p.instances.map((i) => ({ host: p.host, pid: i.pid, service: i.service, instance: i.instance, runtime: i.runtime }))));
  const manifest: Manifest = {
    format: 'deepstitch-capture/1',
    name: p.name,
    source: 'real',
    mode: p.mode,
    app: 'shop',
    createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    generator: { tool: 'experiments/capture/run.ts', version: '1', seed: p.seed, params: p.params },
    traces: resourceSpans.length > 0 ? [{ path: TRACES_PATH, format: 'otlp' }] : [],
    syscalls: p.syscalls,
  };
  await writeManifest(p.dir, manifest);
  return { spans: truth.length };
}
