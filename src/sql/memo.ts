// The SQL tools with their pure answers remembered per SQL text. A batch of 10,000 INSERTs usually repeats
// one statement text 10,000 times, and clients repeat a few texts all day: tokenizing each once instead of
// per statement takes most of the request's SQL work away. Rewrites that produce new literals (RANDOM(),
// the current time) differ at every call and are never remembered; only the fact that a text needs no
// rewrite is.
import { analyze, type StatementAnalysis } from './analyze.js';
import { disallowedPragma } from './pragma.js';
import { rewrite, type RewriteOptions, type RewriteResult } from './rewrite.js';

/** Texts longer than this are not remembered: they are rarely repeated, and they would fill memory. */
const rememberedTextCharsMax = 4096;
const defaultEntriesMax = 4096;

/** A bounded map that forgets its oldest entry when full. */
class BoundedMemo<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly entriesMax: number) {}

  get(key: string, compute: () => V): V {
    const known = this.entries.get(key);
    if (known !== undefined) return known;
    const value = compute();
    if (key.length <= rememberedTextCharsMax) {
      if (this.entries.size >= this.entriesMax) {
        const oldest = this.entries.keys().next();
        if (oldest.done !== true) this.entries.delete(oldest.value);
      }
      this.entries.set(key, value);
    }
    return value;
  }
}

export interface SqlToolSet {
  rewrite(sql: string, options: RewriteOptions): RewriteResult;
  analyze(sql: string): StatementAnalysis;
  disallowedPragma(sql: string): string | undefined;
}

/** The SQL tools, remembering up to `entriesMax` texts for each kind of answer. */
export function memoizedSqlTools(entriesMax = defaultEntriesMax): SqlToolSet {
  if (!Number.isSafeInteger(entriesMax) || entriesMax < 1) {
    throw new RangeError(`entriesMax must be a positive integer, got ${entriesMax}`);
  }
  const analyses = new BoundedMemo<StatementAnalysis>(entriesMax);
  // A Map cannot hold `undefined` apart from a miss, so "no disallowed PRAGMA" is stored as ''.
  const pragmas = new BoundedMemo<string>(entriesMax);
  // Which rewrites apply decides the answer (a text may need one only when RANDOM() is rewritten), so
  // each combination has its own memo, indexed by random + 2 × time; keyed by the text itself, whose hash
  // a repeated string has already computed, where a combined key would be a new string to hash each time.
  const unchanged = [0, 1, 2, 3].map(() => new BoundedMemo<boolean>(entriesMax));
  return {
    analyze: (sql) => analyses.get(sql, () => analyze(sql)),
    disallowedPragma: (sql) => {
      const found = pragmas.get(sql, () => disallowedPragma(sql) ?? '');
      return found === '' ? undefined : found;
    },
    rewrite: (sql, options) => {
      const memo = unchanged[(options.random ? 1 : 0) + (options.time ? 2 : 0)];
      if (memo === undefined) throw new Error('rewrite memo missing');
      let result: RewriteResult | undefined;
      const needsNone = memo.get(sql, () => {
        result = rewrite(sql, options);
        return !result.changed;
      });
      if (needsNone) return result ?? { sql, changed: false };
      return result ?? rewrite(sql, options);
    },
  };
}
