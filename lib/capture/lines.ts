/**
 * A streaming line reader over a file's bytes. Syscall files can be larger than memory, so the
 * file is read in chunks into one reusable Buffer and split on '\n' bytes; the handler gets the
 * byte range of each line and decodes only what it needs.
 */
import { open } from 'node:fs/promises';

/**
 * Called once per line with the line's bytes `buf[start, end)` (without '\n' or "\r\n").
 * `buf` is reused: copy what must outlive the call. `unterminated` is true for a last line
 * that has no '\n' after it (a file cut short while being written).
 */
export type LineHandler = (buf: Buffer, start: number, end: number, lineNo: number, unterminated: boolean) => void;

/** Options of forEachLine. */
export interface LineReaderOptions {
  /** Bytes read per call; the buffer starts this large. Default 1 MiB. */
  chunkBytes?: number;
  /** Lines of this many bytes or more go to onOverlong instead of the handler. Default 64 MiB. */
  maxLineBytes?: number;
  /** Told about each overlong line (its number and length in bytes). */
  onOverlong?: (lineNo: number, bytes: number) => void;
}

/** What forEachLine read. */
export interface LineReadResult {
  lines: number;
  bytes: number;
}

const NL = 10;
const CR = 13;

/** Calls `onLine` for every line of the file at `path`, in order, reading it as a stream. */
export async function forEachLine(path: string, onLine: LineHandler, opts: LineReaderOptions = {}): Promise<LineReadResult> {
  const maxLine = opts.maxLineBytes ?? 64 * 1024 * 1024;
  let buf = Buffer.allocUnsafe(Math.min(opts.chunkBytes ?? 1024 * 1024, maxLine));
  let filled = 0; // buf[0, filled) holds bytes not yet passed on: the start of the current line
  let lineNo = 0;
  let bytes = 0;
  let overlongBytes = -1; // >= 0 while skipping the rest of an overlong line
  const fh = await open(path, 'r');
  try {
    for (;;) {
      if (filled === buf.length) {
        if (buf.length < maxLine) {
          const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, maxLine));
          buf.copy(bigger, 0, 0, filled);
          buf = bigger;
        } else {
          overlongBytes = Math.max(overlongBytes, 0) + filled;
          filled = 0;
        }
      }
      const { bytesRead } = await fh.read(buf, filled, buf.length - filled, null);
      if (bytesRead === 0) break;
      bytes += bytesRead;
      const view = buf.subarray(0, filled + bytesRead);
      let lineStart = 0;
      let nl = view.indexOf(NL, filled);
      while (nl >= 0) {
        lineNo++;
        if (overlongBytes >= 0) {
          opts.onOverlong?.(lineNo, overlongBytes + nl);
          overlongBytes = -1;
        } else {
          onLine(buf, lineStart, nl > lineStart && buf[nl - 1] === CR ? nl - 1 : nl, lineNo, false);
        }
        lineStart = nl + 1;
        nl = view.indexOf(NL, lineStart);
      }
      filled = view.length - lineStart;
      if (lineStart > 0 && filled > 0) buf.copyWithin(0, lineStart, view.length);
    }
    if (overlongBytes >= 0) {
      lineNo++;
      opts.onOverlong?.(lineNo, overlongBytes + filled);
    } else if (filled > 0) {
      lineNo++;
      onLine(buf, 0, buf[filled - 1] === CR ? filled - 1 : filled, lineNo, true);
    }
  } finally {
    await fh.close();
  }
  return { lines: lineNo, bytes };
}
