// Order statistics and number formatting for the tables.
export function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return s[lo] + (s[hi] - s[lo]) * (at - lo);
}
export const median = (values) => quantile(values, 0.5);
export const p95 = (values) => quantile(values, 0.95);
export const p99 = (values) => quantile(values, 0.99);
export const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
/** The middle half: [p25, p75]. */
export const iqr = (values) => [quantile(values, 0.25), quantile(values, 0.75)];

/** `x` with `digits` decimals, or n/a. */
export const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
export const kb = (bytes) => (bytes / 1000).toFixed(1);
