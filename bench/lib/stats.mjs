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

/** A ratio as `×r`: two decimals, and two significant digits below 0.1 (×0.0010 would read as nothing: ×0.001). */
export function ratio(r) {
  if (!Number.isFinite(r)) return 'n/a';
  return `×${r >= 0.1 ? r.toFixed(2) : String(Number(r.toPrecision(2)))}`;
}
