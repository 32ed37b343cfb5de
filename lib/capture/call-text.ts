/**
 * Pieces of text shared by the syscall line formats: strace and perf trace both print a call as
 * "NAME(ARGS) = RESULT" (finding the result, reading the return value); all writers keep a
 * record on one line.
 */

const SPACE = 32;
const CLOSE_PAREN = 41;
const EQUALS = 61;

/**
 * Where a call's result starts in L[from, to): after the last " = " that follows the closing
 * ')' of the arguments (padding spaces between them allowed), so that a " = " inside a string
 * argument is not taken for it. -1 when there is none.
 */
export function resultStart(L: string, from: number, to: number): number {
  // A loop, not lastIndexOf: V8's lastIndexOf is a runtime call, slow on this once-a-line path.
  for (let r = Math.max(to - 3, 0); r >= from; r--) {
    if (L.charCodeAt(r + 1) !== EQUALS || L.charCodeAt(r) !== SPACE || L.charCodeAt(r + 2) !== SPACE) continue;
    let k = r;
    while (k > from && L.charCodeAt(k) === SPACE) k--;
    if (L.charCodeAt(k) === CLOSE_PAREN) return r + 3;
  }
  return -1;
}

/** The largest pid or tid read: the syscalls table holds them as Int32 (Linux's pid_max is at most 2^22). */
export const MAX_ID = 2 ** 31 - 1;

/** Reason under which a line whose pid or tid is above MAX_ID is counted (all formats). */
export const ID_TOO_LARGE = 'pid or tid above 2^31-1 (the syscalls table holds 32-bit ids; Linux pids are below 2^22)';

/** Reason under which a call whose result is not a number is counted; the call is kept, its ret unknown. */
export const BAD_RESULT = 'result is neither a number below 2^63 nor "?" (call kept, ret unknown)';

/** A syscall returns a C long: nothing at or beyond 2^63 in magnitude is a result (it has at most 19 digits). */
export const MAX_RESULT = 2 ** 63;

/**
 * The numeric return value at L[at, to): decimal (optionally negative) or 0x hex, ignoring
 * what follows ("-1 EAGAIN (...)", "3</dev/null>", "8769<python3>"). null for "?" (the tools'
 * unknown result); undefined for anything else that is not a number below 2^63 in magnitude
 * ("0x", "-", nothing, text), which the caller counts.
 */
export function parseReturnValue(L: string, at: number, to: number): number | null | undefined {
  let i = at;
  if (L.charCodeAt(i) === 63 /* ? */) return null;
  const neg = L.charCodeAt(i) === 45; /* - */
  if (neg) i++;
  let v = 0;
  if (L.charCodeAt(i) === 48 && L.charCodeAt(i + 1) === 120 /* 0x */) {
    const h0 = i + 2;
    let j = h0;
    while (j < to && isHexDigit(L.charCodeAt(j))) j++;
    if (j === h0) return undefined;
    v = parseInt(L.slice(h0, j), 16);
  } else {
    const d0 = i;
    let c: number;
    while (i < to && isDigit((c = L.charCodeAt(i)))) v = v * 10 + (c - 48), i++;
    if (i === d0) return undefined;
  }
  if (v >= MAX_RESULT) return undefined;
  return neg ? -v : v;
}

/** Line breaks cannot be written inside a line: written as '?', as ps shows unprintable characters. */
export function oneLine(s: string): string {
  return s.includes('\n') || s.includes('\r') ? s.replace(/[\r\n]/g, '?') : s;
}

/**
 * Lines are decoded as latin1 (one character per byte: fast, and byte offsets stay character
 * offsets); a comm cut from such a line is turned back into the UTF-8 text it was written as.
 */
export function latin1ToUtf8(s: string): string {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return Buffer.from(s, 'latin1').toString('utf8');
  return s;
}

/** '0'..'9' */
export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A character of a syscall name as the tools print it: a-z, 0-9, '_'. */
export function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}
