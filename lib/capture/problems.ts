/**
 * Bad input is counted and reported, never dropped silently. A ProblemLog keeps a count per
 * (file, reason) and the first examples of each, so a user sees how much was skipped and why.
 */

export interface Problem {
  file: string;
  /** 1-based line number, or 0 when the problem concerns the whole file. */
  line: number;
  reason: string;
  /** The offending text, cut to 200 characters. */
  text: string;
}

export class ProblemLog {
  readonly counts = new Map<string, number>();
  readonly examples: Problem[] = [];
  private readonly keptPerKey = new Map<string, number>();

  constructor(readonly examplesPerReason = 5) {}

  add(file: string, line: number, reason: string, text = ''): void {
    const key = `${file}: ${reason}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const kept = this.keptPerKey.get(key) ?? 0;
    if (kept < this.examplesPerReason) {
      this.keptPerKey.set(key, kept + 1);
      this.examples.push({ file, line, reason, text: text.length > 200 ? `${text.slice(0, 200)}…` : text });
    }
  }

  /** Total count of problems whose reason is `reason` (all files), or of all problems. */
  total(reason?: string): number {
    let n = 0;
    for (const [key, c] of this.counts) if (reason === undefined || key.endsWith(`: ${reason}`)) n += c;
    return n;
  }

  /** One line per (file, reason) with its count, for printing. */
  summary(): string[] {
    return [...this.counts].map(([key, c]) => `${key}: ${c}`);
  }
}

/** A malformed file that cannot be read at all: says which file, where, and what was expected. */
export class CaptureError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly expected: string,
    found?: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}: expected ${expected}${found === undefined ? '' : `, found ${found}`}`);
    this.name = 'CaptureError';
  }
}
