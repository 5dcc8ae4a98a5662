#!/usr/bin/env node
// The benchmark suite: wsx side by side with ws (with and without its native add-ons), Bun's
// built-in server as the ceiling, and a bare net.Server as Node's floor for idle memory.
//   npm run bench [-- --quick] [-- --only echo-64,fanout-10k] [-- --servers wsx,ws-addons]
// For each scenario, every server runs once per repetition, interleaved (A B C, B C A, ...),
// each in a fresh process pinned to CPU 0 with the load generator on CPU 1. Results go to
// bench/results/latest.{md,json,svg}. Numbers, never pass/fail.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBefore } from './lib/before.mjs';
import { findBun } from './lib/bun.mjs';
import { machine } from './lib/machine.mjs';
import { parseOptions } from './lib/options.mjs';
import { pinning, pinSelf, startServer } from './lib/processes.mjs';
import { aggregate, DISTURBED } from './report/aggregate.mjs';
import { num } from './report/format.mjs';
import { markdown } from './report/markdown.mjs';
import { svg } from './report/svg.mjs';
import { SCENARIOS } from './scenarios/index.mjs';
import { BASELINE, SERVERS } from './servers/index.mjs';

const log = (...args) => console.error(...args);

/** The servers (with their configs) a scenario compares. */
function variantsOf(scenario, options) {
  const variants =
    scenario.variants ??
    scenario.servers.map((id) => {
      // A variant runs one of the servers with another config (wsx-dedicated: wsx, ...).
      const server = scenario.serverOf?.[id] ?? (id === 'wsx-dedicated' ? 'wsx' : id);
      const label =
        scenario.labels?.[id] ?? (id === 'wsx-dedicated' ? 'wsx (dedicated)' : SERVERS[id]?.label);
      if (SERVERS[server] === undefined || label === undefined) {
        throw new Error(`scenario ${scenario.id}: no server or label for ${id}`);
      }
      return { id, server, label, config: scenario.config?.[id] ?? {} };
    });
  const wanted = (v) =>
    options.servers === null ||
    options.servers.includes(v.id) ||
    options.servers.includes(v.server);
  const hasBun = findBun().path !== null;
  const chosen = variants.filter((v) => wanted(v) && (v.server !== 'bun' || hasBun));
  if (options.before === null) return chosen;
  // --before: each wsx variant runs again with the wsx of that commit, right after it.
  return chosen.flatMap((v) =>
    v.server !== 'wsx'
      ? [v]
      : [v, { ...v, id: `${v.id}-before`, server: 'wsx-before', label: `${v.label} (before)` }],
  );
}

/** One server process, one measurement. Failures are recorded, not thrown. */
async function measure(scenario, variant, params, pin) {
  let server;
  try {
    server = await startServer(variant.server, variant.config, pin);
    const sample = await scenario.run({ server, params, pin, variant });
    return { ...sample, serverInfo: server.info };
  } catch (error) {
    return { error: String(error?.message ?? error).split('\n')[0] };
  } finally {
    await server?.stop();
  }
}

function progress(scenario, rep, reps, variant, sample) {
  if (sample.error !== undefined) return `${variant.label}: ERROR ${sample.error}`;
  const figures = scenario.metrics.map((m) => `${m.label} ${num(sample[m.key], m.digits)}`);
  const cpu =
    sample.serverCpuPct === undefined
      ? ''
      : ` (server ${num(sample.serverCpuPct, 0)}%, load ${num(sample.loadCpuPct, 0)}%, other ${num(sample.otherCpuPct, 0)}%)`;
  return `[${scenario.id} ${rep + 1}/${reps}] ${variant.label}: ${figures.join(', ')}${cpu}`;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.before !== null) {
    const before = buildBefore(options.before);
    SERVERS['wsx-before'].env = { WSX_MODULE: before.entry };
    log(`wsx (before) is ${options.before} = ${before.sha}`);
  }
  const pin = pinning();
  if (pin.server.length === 0) log(`\n*** ${pin.note}: figures are NOT comparable ***\n`);
  pinSelf(pin);
  const bun = findBun();
  if (bun.path === null) log(`*** Bun left out: ${bun.reason} ***`);
  const started = Date.now();
  const results = {
    startedAt: new Date(started).toISOString(),
    seconds: 0,
    options,
    machine: machine(pin),
    scenarios: [],
  };
  // Every scenario's servers are resolved before anything runs: a mistake fails now, not later.
  const variantsById = new Map(SCENARIOS.map((s) => [s.id, variantsOf(s, options)]));
  for (const scenario of SCENARIOS) {
    if (options.only !== null && !options.only.includes(scenario.id)) continue;
    const params = scenario.params(options.quick);
    const baseline = scenario.baseline ?? BASELINE;
    const entry = { ...scenario, params, baseline, run: undefined, skip: undefined };
    entry.skipped = scenario.skip?.(params) ?? null;
    results.scenarios.push(entry);
    if (entry.skipped) {
      log(`[${scenario.id}] skipped: ${entry.skipped}`);
      continue;
    }
    const variants = variantsById.get(scenario.id);
    const samples = new Map(variants.map((v) => [v.id, []]));
    for (let rep = 0; rep < options.reps; rep++) {
      // Interleaved, and rotated each repetition so no server always runs first.
      const order = variants.map((_, i) => variants[(i + rep) % variants.length]);
      for (const variant of order) {
        const t0 = Date.now();
        let sample = await measure(scenario, variant, params, pin);
        if (sample.otherCpuPct > DISTURBED) {
          // Another process took CPU during the window (a shared machine): measure again once.
          log(`${progress(scenario, rep, options.reps, variant, sample)}: disturbed, again`);
          sample = { ...(await measure(scenario, variant, params, pin)), retried: true };
        }
        samples.get(variant.id).push(sample);
        log(`${progress(scenario, rep, options.reps, variant, sample)} [${Date.now() - t0} ms]`);
      }
    }
    entry.variants = aggregate(scenario, variants, samples, baseline);
  }
  results.seconds = (Date.now() - started) / 1000;
  mkdirSync(options.out, { recursive: true });
  const report = markdown(results);
  writeFileSync(join(options.out, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(options.out, 'latest.md'), report);
  writeFileSync(join(options.out, 'latest.svg'), svg(results));
  console.log(report);
  log(`wrote ${join(options.out, 'latest.{md,json,svg}')} in ${Math.round(results.seconds)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
