/**
 * The unbiased pass@k estimator of Chen et al. (2021): with n samples of which c pass,
 * pass@k = 1 − C(n−c, k) / C(n, k), computed as 1 − Π_{i=n−c+1..n} (1 − k/i) so that no
 * binomial coefficient is ever formed (they overflow doubles from n ≈ 1000).
 * Undefined (undefined) when n < k: k distinct draws cannot be made from n samples.
 */
export const passAtK = (n: number, c: number, k: number): number | undefined => {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 0 || c < 0 || c > n || k < 1) {
    throw new RangeError(`passAtK: need integers 0 <= c <= n and k >= 1 (n=${n}, c=${c}, k=${k})`)
  }
  if (n < k) return undefined
  if (n - c < k) return 1
  let failAll = 1
  for (let i = n - c + 1; i <= n; i++) failAll *= 1 - k / i
  return 1 - failAll
}

/**
 * Mean pass@k over problems. A problem with no answer at all (n = 0: a search without code, a
 * task missing from a samples file) counts 0. Reported only when every answered problem has
 * n >= k (as EvalPlus does), otherwise undefined: averaging over the subset with enough samples
 * would bias the figure.
 */
export const meanPassAtK = (
  counts: ReadonlyArray<{ readonly n: number; readonly c: number }>,
  k: number
): number | undefined => {
  if (counts.length === 0) return undefined
  let sum = 0
  for (const { c, n } of counts) {
    if (n === 0) continue
    const p = passAtK(n, c, k)
    if (p === undefined) return undefined
    sum += p
  }
  return sum / counts.length
}

/** Parses `1,10,100` into sorted distinct positive integers. */
export const parseKs = (text: string): ReadonlyArray<number> => {
  const ks = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const k = Number(s)
      if (!Number.isInteger(k) || k < 1) throw new RangeError(`not a positive integer k: ${s}`)
      return k
    })
  return [...new Set(ks)].sort((a, b) => a - b)
}
