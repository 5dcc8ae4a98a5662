// From repetitions to figures: median and spread per metric, the ratio to the baseline, and
// warnings (errors, a load generator that may have been the bottleneck).
import { summarize } from '../lib/stats.mjs';

/** A measurement where the load generator was busier than the server: it may have capped it. */
export const LOAD_BOUND = { load: 90, server: 95 };
/** Other processes used more than this % of a CPU during the window (undisturbed: 0-3 %). */
export const DISTURBED = 10;

export function aggregate(scenario, variants, samples, baselineId) {
  const base = samples.get(baselineId) ?? [];
  return variants.map((variant) => {
    const own = samples.get(variant.id) ?? [];
    const figures = {};
    for (const metric of scenario.metrics) {
      const summary = summarize(own.map((s) => s[metric.key]));
      const baseline = summarize(base.map((s) => s[metric.key])).median;
      figures[metric.key] = { ...summary, ratio: summary.median / baseline };
    }
    const loadBound = own.filter(
      (s) => s.loadCpuPct >= LOAD_BOUND.load && s.serverCpuPct < LOAD_BOUND.server,
    );
    return {
      id: variant.id,
      server: variant.server,
      label: variant.label,
      config: variant.config,
      figures,
      serverCpuPct: summarize(own.map((s) => s.serverCpuPct)).median,
      loadCpuPct: summarize(own.map((s) => s.loadCpuPct)).max,
      loadBound: loadBound.length,
      otherCpuPct: summarize(own.map((s) => s.otherCpuPct)).max,
      disturbed: own.filter((s) => s.otherCpuPct > DISTURBED).length,
      retried: own.filter((s) => s.retried).length,
      errors: own.filter((s) => s.error !== undefined).map((s) => s.error),
      samples: own,
    };
  });
}
