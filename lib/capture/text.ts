/**
 * Reading whole capture text files (JSON traces, the manifest, small CSVs): strict UTF-8, and JSON
 * parsed without letting a long integer pass through a double.
 */
import { readFile } from 'node:fs/promises';
import { CaptureError } from './problems';
import { toBigIntNs } from './time';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads a file as UTF-8 text (a leading BOM dropped); CaptureError when missing or not UTF-8. */
export async function readTextFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CaptureError(path, null, 'a readable file', code === 'ENOENT' ? 'no such file' : String(e));
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    let line = 1;
    for (let i = 0; i < at; i++) if (bytes[i] === 10) line++;
    throw new CaptureError(path, line, 'UTF-8 text', `invalid UTF-8 at byte ${at}`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses JSON text. The values of `exactKeys` that are bare integers (`"offsetNs": 1732…`) are
 * quoted first, so they arrive as strings of digits instead of rounded doubles.
 * Throws CaptureError naming the file and, when known, the line (`startLine` is the line of the
 * file where `text` starts).
 */
export function parseJsonText(file: string, text: string, exactKeys: readonly string[] = [], startLine = 1): unknown {
  if (text.trim() === '') throw new CaptureError(file, null, 'JSON', 'an empty file');
  const quoted = exactKeys.length === 0 ? text : quoteIntegers(text, exactKeys);
  try {
    return JSON.parse(quoted);
  } catch (e) {
    const message = (e as Error).message;
    const at = /at position (\d+)/.exec(message);
    // quoting adds two characters per quoted value before the error, so line numbers still hold.
    const line = at ? startLine - 1 + lineOf(quoted, Number(at[1])) : text.includes('\n') ? null : startLine;
    throw new CaptureError(file, line, 'valid JSON', message);
  }
}

/** Reads and parses a JSON file (see parseJsonText). */
export async function readJsonFile(path: string, exactKeys: readonly string[] = []): Promise<unknown> {
  return parseJsonText(path, await readTextFile(path), exactKeys);
}

/** A short description of a JSON value for "found ..." in error messages. */
export function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object with keys ${Object.keys(value).slice(0, 6).join(', ') || '(none)'}`;
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`;
}

function quoteIntegers(text: string, keys: readonly string[]): string {
  const names = keys.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  // A key inside a JSON string would have its quotes escaped (\"), hence the look-behind.
  const re = new RegExp(`(?<!\\\\)"(${names})"(\\s*:\\s*)(-?\\d+)(?![\\d.eE])`, 'g');
  return text.replace(re, '"$1"$2"$3"');
}

function lineOf(text: string, position: number): number {
  let line = 1;
  for (let i = 0; i < position && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function firstInvalidUtf8(bytes: Buffer): number {
  // Binary search for the shortest prefix that fails to decode (streaming, so a character cut
  // at the end of a prefix is not an error): O(n log n), and only on error.
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  return lo;
}

/**
 * Typed access to the fields of one parsed JSON object. A missing or mistyped field throws a
 * CaptureError naming the file and the field's path (`field "syscalls[1].host" (a string)`).
 */
export class JsonFields {
  constructor(
    readonly file: string,
    readonly value: Readonly<Record<string, unknown>>,
    /** This object's path from the root ('' for the root). */
    readonly path: string,
  ) {}

  /** Wraps a parsed JSON document that must be an object. */
  static root(file: string, json: unknown): JsonFields {
    if (!isObject(json)) throw new CaptureError(file, null, 'a JSON object', describeJson(json));
    return new JsonFields(file, json, '');
  }

  /** True when the field is present and not null. */
  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  string(key: string): string {
    const v = this.value[key];
    return typeof v === 'string' ? v : this.fail(key, 'a string');
  }

  /** A string, or null when the field is absent or null. */
  optionalString(key: string): string | null {
    return this.has(key) ? this.string(key) : null;
  }

  integer(key: string): number {
    const v = this.value[key];
    return Number.isSafeInteger(v) ? (v as number) : this.fail(key, 'an integer');
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T {
    const v = this.value[key];
    return values.includes(v as T) ? (v as T) : this.fail(key, values.map((x) => `"${x}"`).join(' or '));
  }

  /** An exact integer given as a string of decimal digits or a safe-integer number. */
  bigint(key: string, what: string): bigint {
    const v = this.value[key];
    if (typeof v === 'string' || typeof v === 'number') {
      try {
        return toBigIntNs(v, key);
      } catch {
        // reported below with the field's path
      }
    }
    return this.fail(key, what);
  }

  object(key: string): JsonFields {
    const v = this.value[key];
    return isObject(v) ? new JsonFields(this.file, v, this.name(key)) : this.fail(key, 'an object');
  }

  /** An array of objects; `[]` when the field is absent and `optional`. */
  array(key: string, optional = false): JsonFields[] {
    const v = this.value[key];
    if (optional && (v === undefined || v === null)) return [];
    if (!Array.isArray(v)) return this.fail(key, 'an array');
    return JsonFields.items(this.file, v, this.name(key));
  }

  /** Wraps the items of an array at `path` that must all be objects. */
  static items(file: string, values: readonly unknown[], path: string): JsonFields[] {
    return values.map((item, i) => {
      if (!isObject(item)) throw new CaptureError(file, null, `field "${path}[${i}]" (an object)`, describeJson(item));
      return new JsonFields(file, item, `${path}[${i}]`);
    });
  }

  /** Throws the CaptureError for a field that is missing or not `what`. */
  fail(key: string, what: string): never {
    throw new CaptureError(this.file, null, `field "${this.name(key)}" (${what})`, describeJson(this.value[key]));
  }

  private name(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
