/**
 * manifest.json: what a capture is and how to read its files. Read with every required field
 * checked (a CaptureError names the file and the field); offsetNs is exact (BigInt).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_ID } from './call-text';
import { JsonFields, readJsonFile } from './text';
import type { Manifest, SyscallFileEntry, TraceFileEntry } from './types';

/** The value of the manifest's "format" field that this kit reads and writes. */
export const MANIFEST_FORMAT = 'deepstitch-capture/1';

/** The manifest's file name inside a capture folder. */
export const MANIFEST_FILE = 'manifest.json';

/**
 * Reads and validates `<dir>/manifest.json`. offsetNs may be a string of digits or a safe
 * integer; a bare JSON number with more digits is read from its text, never through a double.
 * offsetNs may be left out for a realtime clock (then 0), not for a monotonic one.
 */
export async function readManifest(dir: string): Promise<Manifest> {
  const file = join(dir, MANIFEST_FILE);
  const m = JsonFields.root(file, await readJsonFile(file, ['offsetNs']));
  m.oneOf('format', [MANIFEST_FORMAT]);
  const generator = m.object('generator');
  return {
    format: MANIFEST_FORMAT,
    name: m.string('name'),
    source: m.oneOf('source', ['simulated', 'real']),
    mode: m.oneOf('mode', ['idle', 'isolated', 'live']),
    app: m.string('app'),
    createdAt: m.string('createdAt'),
    generator: {
      tool: generator.string('tool'),
      version: generator.string('version'),
      ...(generator.has('seed') ? { seed: generator.integer('seed') } : {}),
      ...(generator.has('params') ? { params: { ...generator.object('params').value } } : {}),
    },
    traces: m.array('traces').map(readTraceEntry),
    syscalls: m.array('syscalls').map(readSyscallEntry),
  };
}

/** Writes `<dir>/manifest.json` (offsetNs as a string of digits). */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const json = {
    ...manifest,
    syscalls: manifest.syscalls.map((e) => ({ ...e, offsetNs: e.offsetNs.toString() })),
  };
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(json, null, 2)}\n`);
}

function readTraceEntry(e: JsonFields): TraceFileEntry {
  return { path: e.string('path'), format: e.oneOf('format', ['jaeger', 'otlp']) };
}

function readSyscallEntry(e: JsonFields): SyscallFileEntry {
  const clock = e.oneOf('clock', ['realtime', 'monotonic']);
  const entry: SyscallFileEntry = {
    host: e.string('host'),
    path: e.string('path'),
    format: e.oneOf('format', ['strace', 'perf-trace', 'csv', 'bpftrace']),
    clock,
    offsetNs: clock === 'realtime' && !e.has('offsetNs') ? 0n : e.bigint('offsetNs', 'a string of decimal digits (nanoseconds)'),
  };
  if (e.has('pid')) {
    const pid = e.integer('pid');
    entry.pid = pid >= 0 && pid <= MAX_ID ? pid : e.fail('pid', 'a process id in 0..2^31-1');
  }
  return entry;
}
