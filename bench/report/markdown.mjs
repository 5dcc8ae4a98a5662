// The markdown report: machine, a summary (one headline figure per scenario, ratio to ws with
// its add-ons, the lead's targets), then one table per scenario with every figure.
import { num, ratio } from './format.mjs';

const ORDER = ['wsx', 'wsx-dedicated', 'ws', 'ws-addons', 'ws-addons-shared', 'bun', 'floor'];
const DAGGER = '†';
const DOUBLE = '‡';

export function markdown(results) {
  const lines = [];
  const { machine: m, options } = results;
  lines.push(`# wsx benchmarks${options.quick ? ' (--quick: smoke run, not for comparison)' : ''}`);
  lines.push('');
  lines.push(
    `${results.startedAt}, ${Math.round(results.seconds)} s. ${m.cpu}, ${m.cores} cores, ` +
      `${m.memoryGiB} GiB, Linux ${m.kernel}. Node ${m.node}, Bun ${m.bun ?? 'absent'}, ` +
      `ws ${m.ws} (bufferutil ${m.bufferutil}, utf-8-validate ${m.utf8Validate}), ` +
      `wsx ${m.wsx} at ${m.commit}${m.uncommitted ? ' with uncommitted changes' : ''}. ` +
      `${m.pinning}; fd limit ${m.fdLimit}.`,
  );
  lines.push('');
  lines.push(
    `${options.reps} repetition(s), servers interleaved; each figure is the median ` +
      `(min–max), and N.NNx its ratio to **ws + add-ons** (the same figure divided by ws's). ` +
      `${DAGGER}: the load generator was the busier process (≥ 90 % CPU, server < 95 %), so ` +
      'that figure may be capped by it; server CPU per message is not. ' +
      `${DOUBLE}: other processes used > 10 % of a CPU during the window even after one retry.`,
  );
  lines.push('');
  lines.push(...summary(results));
  for (const s of results.scenarios) lines.push('', ...details(s, options.reps));
  return `${lines.join('\n')}\n`;
}

function columns(scenarios) {
  const present = new Set(scenarios.flatMap((s) => (s.variants ?? []).map((v) => v.id)));
  return ORDER.filter((id) => present.has(id));
}

function summary(results) {
  const scenarios = results.scenarios.filter((s) => s.baseline === 'ws-addons');
  const ids = columns(scenarios);
  const labels = ids.map(
    (id) => scenarios.flatMap((s) => s.variants ?? []).find((v) => v.id === id).label,
  );
  const out = ['## Summary', ''];
  out.push(`| scenario | figure | ${labels.join(' | ')} | target for wsx |`);
  out.push(`|---|---|${ids.map(() => '---:').join('|')}|---|`);
  for (const s of scenarios) {
    if (s.skipped) {
      out.push(`| ${s.title} | skipped: ${s.skipped} |${ids.map(() => '').join('|')}| |`);
      continue;
    }
    const metric = s.metrics.find((x) => x.key === s.headline);
    const cells = ids.map((id) => {
      const v = s.variants.find((x) => x.id === id);
      if (v === undefined) return '';
      const f = v.figures[metric.key];
      const mark = (v.loadBound > 0 ? DAGGER : '') + (v.disturbed > 0 ? DOUBLE : '');
      return `${num(f.median, metric.digits)}${mark} (${ratio(f.ratio)})`;
    });
    const better = metric.better === 'higher' ? 'higher is better' : 'lower is better';
    out.push(`| ${s.title} | ${metric.label}, ${better} | ${cells.join(' | ')} | ${target(s)} |`);
  }
  return out;
}

/** The target and whether wsx (each wsx variant) meets it now. */
function target(s) {
  if (s.target === undefined) return '';
  const metric = s.metrics.find((x) => x.key === s.headline);
  const checks = s.variants
    .filter((v) => v.server === 'wsx')
    .map((v) => {
      const f = v.figures[metric.key];
      let ok;
      let shown;
      if (s.target.floor !== undefined) {
        const floor = s.variants.find((x) => x.id === 'floor')?.figures[metric.key].median;
        const over = f.median - floor;
        ok = over <= s.target.floor;
        shown = `${over >= 0 ? '+' : ''}${num(over, 2)} KiB`;
      } else {
        ok = s.target.ratio === '>=' ? f.ratio >= s.target.value : f.ratio <= s.target.value;
        shown = ratio(f.ratio);
      }
      const who = s.variants.filter((x) => x.server === 'wsx').length > 1 ? `${v.label}: ` : '';
      return `${who}${shown} ${Number.isFinite(f.median) ? (ok ? '✅' : '❌') : ''}`;
    });
  return `${s.target.text}: ${checks.join(', ')}`;
}

function details(s, reps) {
  const out = [`### ${s.title}`, '', s.what, ''];
  if (s.skipped) return [...out, `Skipped: ${s.skipped}.`];
  out.push(`Parameters: \`${JSON.stringify(s.params)}\`.`, '');
  const base = s.baseline === 'ws-addons' ? 'ws + add-ons' : s.baseline;
  const head = s.metrics.map((m) => `${m.label} | ×`);
  out.push(
    `| server | ${head.join(' | ')} | server CPU % | load CPU % (max) | other CPU % (max) |`,
  );
  out.push(`|---|${s.metrics.map(() => '---:|---:').join('|')}|---:|---:|---:|`);
  for (const v of s.variants) {
    const cells = s.metrics.map((m) => {
      const f = v.figures[m.key];
      const spread = reps > 1 ? ` (${num(f.min, m.digits)}–${num(f.max, m.digits)})` : '';
      return `${num(f.median, m.digits)}${spread} | ${ratio(f.ratio)}`;
    });
    const mark = v.loadBound > 0 ? ` ${DAGGER}` : '';
    const other = `${num(v.otherCpuPct, 0)}${v.disturbed > 0 ? ` ${DOUBLE}` : ''}`;
    out.push(
      `| ${v.label} | ${cells.join(' | ')} | ${num(v.serverCpuPct, 0)} | ${num(v.loadCpuPct, 0)}${mark} | ${other} |`,
    );
  }
  out.push('', `× is the ratio to ${base} (the same figure divided by its own).`);
  const notes = [];
  for (const v of s.variants) {
    const ext = [...new Set(v.samples.map((x) => x.extensions).filter((x) => x))];
    if (ext.length > 0) notes.push(`${v.label} agreed \`${ext.join('`, `')}\``);
    const addons = v.samples.find((x) => x.serverInfo?.addons)?.serverInfo.addons;
    if (addons !== undefined) {
      notes.push(
        `${v.label}: bufferutil ${addons.bufferutil ? 'loaded' : 'not loaded'}, utf-8-validate ${addons.utf8Validate ? 'loaded' : 'not loaded'}`,
      );
    }
    const verified = v.samples.reduce((sum, x) => sum + (x.verified ?? 0), 0);
    const mismatched = v.samples.reduce((sum, x) => sum + (x.mismatched ?? 0), 0);
    if (verified + mismatched > 0) {
      notes.push(`${v.label}: ${verified} echoes checked byte for byte, ${mismatched} wrong`);
    }
    const busy = v.samples.filter((x) => x.latencyServerCpuPct !== undefined);
    if (busy.length > 0) {
      const server = Math.max(...busy.map((x) => x.latencyServerCpuPct));
      const load = Math.max(...busy.map((x) => x.latencyLoadCpuPct));
      notes.push(
        `${v.label}, one message at a time: server CPU up to ${num(server, 0)} %, load generator up to ${num(load, 0)} %`,
      );
    }
    for (const e of v.errors) notes.push(`**${v.label}: ${e}**`);
    if (v.retried > 0) notes.push(`${v.label}: ${v.retried} run(s) measured again (disturbed)`);
    if (v.loadBound > 0) {
      notes.push(
        `${v.label}: load generator ≥ 90 % CPU in ${v.loadBound}/${v.samples.length} runs ${DAGGER}`,
      );
    }
  }
  if (notes.length > 0) out.push('', ...notes.map((n) => `- ${n}`));
  return out;
}
