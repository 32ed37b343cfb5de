/**
 * Exact timestamps. Nanoseconds since the Unix epoch (~1.8e18) do not fit a double, so absolute
 * times are split into whole seconds and nanoseconds (both exact as numbers) the moment they are
 * parsed from text, or kept as BigInt. Relative times (ns since the capture's origin) fit a number.
 */

/** An absolute instant: `sec` whole seconds plus `nsec` (0..999_999_999) nanoseconds. */
export interface Instant {
  sec: number;
  nsec: number;
}

const NS_PER_SEC = 1_000_000_000;
const NS_PER_SEC_N = 1_000_000_000n;

/** Splits a BigInt nanosecond count (may be negative) into an Instant with 0 <= nsec < 1e9. */
export function splitNs(ns: bigint): Instant {
  let sec = ns / NS_PER_SEC_N;
  let nsec = ns % NS_PER_SEC_N;
  if (nsec < 0n) {
    nsec += NS_PER_SEC_N;
    sec -= 1n;
  }
  return { sec: Number(sec), nsec: Number(nsec) };
}

/** Joins an Instant back into BigInt nanoseconds. */
export function joinNs(sec: number, nsec: number): bigint {
  return BigInt(sec) * NS_PER_SEC_N + BigInt(nsec);
}

/**
 * Parses "1732612345.123456" (µs, strace -ttt) or "1732612345.123456789" (ns) or "1732612345"
 * from its digits, without going through a double. Returns null when `text` is not of that form.
 */
export function parseDecimalSeconds(text: string): Instant | null {
  const dot = text.indexOf('.');
  const whole = dot < 0 ? text : text.slice(0, dot);
  const frac = dot < 0 ? '' : text.slice(dot + 1);
  if (whole.length === 0 || whole.length > 15 || frac.length > 9) return null;
  if (!isDigits(whole) || (frac.length > 0 && !isDigits(frac))) return null;
  return { sec: Number(whole), nsec: frac.length === 0 ? 0 : Number(frac) * 10 ** (9 - frac.length) };
}

/** Parses a decimal nanosecond count ("1234567890123456789", optionally signed) into an Instant. */
export function parseNsDigits(text: string): Instant | null {
  const neg = text.startsWith('-');
  const digits = neg ? text.slice(1) : text;
  if (digits.length === 0 || digits.length > 24 || !isDigits(digits)) return null;
  if (!neg && digits.length <= 9) return { sec: 0, nsec: Number(digits) };
  return splitNs(neg ? -BigInt(digits) : BigInt(digits));
}

/** Reads an offset or origin given as a string of decimal digits, a bigint or a safe integer. */
export function toBigIntNs(value: string | number | bigint, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`${what}: ${value} is not an exact integer; write it as a string of digits`);
    }
    return BigInt(value);
  }
  if (!/^-?\d+$/.test(value)) throw new RangeError(`${what}: expected a string of decimal digits, got "${value}"`);
  return BigInt(value);
}

/** ns from `originSec` (a whole second) to the instant; exact while below 2^53 ns (104 days). */
export function relNs(sec: number, nsec: number, originSec: number): number {
  return (sec - originSec) * NS_PER_SEC + nsec;
}

/** Adds a signed offset (as an Instant from splitNs) to an instant. */
export function addInstant(a: Instant, b: Instant): Instant {
  let sec = a.sec + b.sec;
  let nsec = a.nsec + b.nsec;
  if (nsec >= NS_PER_SEC) {
    nsec -= NS_PER_SEC;
    sec += 1;
  }
  return { sec, nsec };
}

/** Formats BigInt epoch ns as "sec.fraction" with 6 (µs) or 9 (ns) fractional digits, truncating. */
export function formatDecimalSeconds(ns: bigint, digits: 6 | 9): string {
  const { sec, nsec } = splitNs(ns);
  const frac = String(nsec).padStart(9, '0').slice(0, digits);
  return `${sec}.${frac}`;
}

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
