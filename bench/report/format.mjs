// Number formatting shared by the reports.

/** 1234567 -> '1.23M', 23456 -> '23.5k', small values with `digits` decimals; '—' for NaN. */
export function num(value, digits = 2) {
  if (!Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(abs >= 1000 ? 0 : digits);
}

/** 0.1234 -> '0.12x', 31.44 -> '31.4x', 123.4 -> '123x'. */
export function ratio(value) {
  if (!Number.isFinite(value)) return '—';
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)}x`;
}

/** How much better than the baseline, whatever the direction: > 1 is better. */
export function advantage(figure, metric) {
  return metric.better === 'higher' ? figure.ratio : 1 / figure.ratio;
}
