/**
 * Vocabularies: token strings to integer ids for the models. Id 0 is always the unknown token, so a
 * syscall never seen in training (or too rare to keep) still gets an id at scoring time, and its
 * low probability under the model marks it as unusual, which is what the method wants.
 */

/** The unknown token, always id 0. */
export const UNK = '<unk>';

/** A vocabulary as stored in JSON: the tokens in id order, the unknown token first. */
export interface VocabJSON {
  tokens: string[];
}

/** Options for {@link Vocab.build}. */
export interface VocabOptions {
  /** Tokens seen fewer times than this map to the unknown token (default 1: keep every token). */
  minCount?: number;
}

/** The token of a syscall in a global (cross-service) sequence: "service:syscall", as in the paper's §4.3. */
export function globalToken(service: string, syscall: string): string {
  return `${service}:${syscall}`;
}

/** A token <-> id map with id 0 = {@link UNK}. Used per service (syscall names) and globally ({@link globalToken}). */
export class Vocab {
  private readonly index = new Map<string, number>();

  private constructor(readonly tokens: readonly string[]) {
    tokens.forEach((t, i) => {
      if (this.index.has(t)) throw new Error(`vocabulary: token ${JSON.stringify(t)} appears twice (ids ${this.index.get(t)} and ${i})`);
      this.index.set(t, i);
    });
  }

  /**
   * Builds a vocabulary from token lists (e.g. one per thread). Ids are assigned by descending count,
   * ties by token order, so the same data always gives the same ids whatever the order of the lists.
   */
  static build(lists: Iterable<Iterable<string>>, opts: VocabOptions = {}): Vocab {
    const minCount = opts.minCount ?? 1;
    if (!Number.isInteger(minCount) || minCount < 1) throw new Error(`vocabulary minCount must be a positive integer, got ${minCount}`);
    const counts = new Map<string, number>();
    for (const list of lists) for (const t of list) counts.set(t, (counts.get(t) ?? 0) + 1);
    counts.delete(UNK);
    const kept = [...counts].filter(([, c]) => c >= minCount);
    kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new Vocab([UNK, ...kept.map(([t]) => t)]);
  }

  /** Restores a vocabulary saved with {@link Vocab.toJSON}; throws if it is not one. */
  static fromJSON(json: unknown): Vocab {
    const tokens = (json as VocabJSON | null)?.tokens;
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string')) {
      throw new Error('vocabulary JSON: expected {"tokens": [string, ...]}');
    }
    if (tokens[0] !== UNK) throw new Error(`vocabulary JSON: expected ${JSON.stringify(UNK)} as token 0, found ${JSON.stringify(tokens[0])}`);
    return new Vocab([...tokens]);
  }

  /** Number of ids, the unknown token included (the model's vocabSize). */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of a token, 0 ({@link UNK}) if it is not in the vocabulary. */
  id(token: string): number {
    return this.index.get(token) ?? 0;
  }

  /** The token of an id; throws on an id outside the vocabulary. */
  token(id: number): string {
    const t = this.tokens[id];
    if (t === undefined) throw new Error(`vocabulary: id ${id} outside 0..${this.tokens.length - 1}`);
    return t;
  }

  /** Encodes a token list (one thread's sequence) as ids. */
  encode(tokens: Iterable<string>): Int32Array {
    const ids: number[] = [];
    for (const t of tokens) ids.push(this.id(t));
    return Int32Array.from(ids);
  }

  /** The JSON form, read back by {@link Vocab.fromJSON}. */
  toJSON(): VocabJSON {
    return { tokens: [...this.tokens] };
  }
}
