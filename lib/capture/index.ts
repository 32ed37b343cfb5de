/**
 * The capture API: reading and writing the capture format (CAPTURE-FORMAT.md) as arquero tables.
 * Start with loadCapture and writeCapture; the per-format readers and writers are here for
 * those who hold a single file.
 */
export * from './types';
export * from './time';
export { ProblemLog, CaptureError, type Problem } from './problems';
export { loadCapture, UNKNOWN_SERVICE, PROCESSES_FILE, TRUTH_FILE, type LoadOptions, type Capture } from './load';
export { writeCapture, type WriteOptions } from './write';
export { readManifest, writeManifest, MANIFEST_FORMAT, MANIFEST_FILE } from './manifest';
export { readJaegerFile, parseJaeger, formatJaeger, writeJaegerFile } from './jaeger';
export { readOtlpFile, parseOtlp, formatOtlp, writeOtlpFile } from './otlp';
export { buildSpansTable, spanRecords, type SpanRecord, type SpanKind, type ProcessTags } from './spans';
export { readProcesses, readTruth, writeProcesses, writeTruth, splitCsvLine, formatCsvField } from './csv';
export { readSyscallFile, writeSyscallFile, type ReadSyscallsOptions, type WriteSyscallsOptions, type SyscallFileStats } from './syscalls';
export { syscallName, syscallNumber } from './syscall-table';
export { toDanfo } from './danfo';
