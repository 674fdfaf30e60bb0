// Sets of operation indices kept as ascending arrays: small, cheap to compare, and canonical.

/** A copy of `sorted` with `value` inserted in order. */
export function insertSorted(sorted: readonly number[], value: number): number[] {
  const result = [...sorted];
  let position = result.length;
  while (position > 0 && result[position - 1]! > value) position -= 1;
  result.splice(position, 0, value);
  return result;
}

/** Whether every element of `small` is in `large`; both are ascending. */
export function isSubset(small: readonly number[], large: readonly number[]): boolean {
  if (small.length > large.length) return false;
  let j = 0;
  for (const value of small) {
    while (j < large.length && large[j]! < value) j += 1;
    if (j === large.length || large[j] !== value) return false;
    j += 1;
  }
  return true;
}
