// A hand-written SVG bar chart for the README: for each scenario's headline figure, how many
// times better than ws + add-ons each server is (higher is better whatever the figure's
// direction: a server using 1/5 of the CPU per message scores 5x). Log scale, 1x marked.
import { advantage } from './format.mjs';

const COLORS = {
  wsx: '#2563eb',
  'wsx-dedicated': '#60a5fa',
  ws: '#9ca3af',
  'ws-addons': '#4b5563',
  'ws-addons-shared': '#6b7280',
  bun: '#d97706',
  floor: '#059669',
};
const LABEL_W = 300;
const PLOT_W = 520;
const BAR_H = 12;
const GAP = 10;

const esc = (text) =>
  String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function svg(results) {
  const groups = results.scenarios
    .filter((s) => s.baseline === 'ws-addons' && !s.skipped)
    .map((s) => {
      const metric = s.metrics.find((m) => m.key === s.headline);
      const bars = s.variants
        .filter((v) => v.id !== s.baseline) // 1x by definition: the line marks it
        .map((v) => ({ id: v.id, label: v.label, value: advantage(v.figures[metric.key], metric) }))
        .filter((b) => Number.isFinite(b.value) && b.value > 0);
      return { title: s.title, figure: metric.label, bars };
    })
    .filter((g) => g.bars.length > 0);
  const values = groups.flatMap((g) => g.bars.map((b) => b.value));
  const lo = Math.log10(Math.min(0.5, ...values) / 1.2);
  const hi = Math.log10(Math.max(2, ...values) * 1.3);
  const x = (v) => LABEL_W + ((Math.log10(v) - lo) / (hi - lo)) * PLOT_W;

  const parts = [];
  let y = 56;
  for (const g of groups) {
    parts.push(`<text x="8" y="${y + 10}" font-weight="bold">${esc(g.title)}</text>`);
    parts.push(`<text x="8" y="${y + 24}" fill="#555">${esc(g.figure)}</text>`);
    for (const b of g.bars) {
      const x1 = x(1);
      const x2 = x(b.value);
      const left = Math.min(x1, x2);
      const width = Math.max(1, Math.abs(x2 - x1));
      parts.push(
        `<rect x="${left.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${BAR_H}" fill="${COLORS[b.id] ?? '#888'}"><title>${esc(b.label)}: ${b.value.toFixed(2)}x</title></rect>`,
      );
      const text = `${b.value >= 10 ? b.value.toFixed(0) : b.value.toFixed(2)}x ${b.label}`;
      parts.push(
        `<text x="${(x2 >= x1 ? x2 + 4 : x2 - 4).toFixed(1)}" y="${y + 10}" text-anchor="${x2 >= x1 ? 'start' : 'end'}">${esc(text)}</text>`,
      );
      y += BAR_H + 3;
    }
    y += GAP + Math.max(0, 28 - g.bars.length * (BAR_H + 3));
  }
  const height = y + 10;
  const grid = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200]
    .filter((v) => Math.log10(v) > lo && Math.log10(v) < hi)
    .map(
      (v) =>
        `<line x1="${x(v).toFixed(1)}" y1="40" x2="${x(v).toFixed(1)}" y2="${height - 10}" stroke="${v === 1 ? '#000' : '#ddd'}"/>` +
        `<text x="${x(v).toFixed(1)}" y="36" text-anchor="middle" fill="#555">${v}x</text>`,
    );
  const width = LABEL_W + PLOT_W + 170;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="18" font-size="13" font-weight="bold">Times better than ws + add-ons (log scale; higher is better for every figure)</text>`,
    ...grid,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
