/**
 * String interning for the syscall readers and columns: each distinct string is kept once and
 * numbered in order of first appearance. The readers use the shared string (a V8 substring can
 * keep its whole source line alive); the syscall columns store the number.
 */

/** Strings numbered in order of first appearance. */
export class Dictionary {
  /** The value of each number (with `convert`, two keys may give equal values). */
  readonly values: string[] = [];
  private readonly ids = new Map<string, number>();

  /**
   * `convert`, when given, turns a new key into the value kept for it (once per distinct key);
   * without it the value is the key.
   */
  constructor(private readonly convert?: (key: string) => string) {}

  /** The number of `key`'s value, adding it when new. */
  id(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(this.convert === undefined ? key : this.convert(key));
      this.ids.set(key, id);
    }
    return id;
  }

  /** The one shared value for `key`. */
  get(key: string): string {
    return this.values[this.id(key)];
  }
}
