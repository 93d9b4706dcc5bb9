/** Comparing arrays of numbers in the tests. */

/** The largest absolute difference between two arrays of the same length (a different length throws). */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new Error(`the arrays differ in length: ${a.length} vs ${b.length}`)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(Number(a[i]) - Number(b[i])))
  return m
}
