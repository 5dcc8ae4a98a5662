// The Markdown report of bench/redis/run.mjs: figures as medians (min–max), ratios of wsx to
// Socket.IO, the machine and how loaded it was.

const num = (v, digits = 0) =>
  Number.isFinite(v)
    ? v >= 1e6
      ? `${(v / 1e6).toFixed(2)}M`
      : v >= 1e4
        ? `${(v / 1e3).toFixed(1)}k`
        : v.toFixed(digits)
    : '–';
const ms = (us) => (Number.isFinite(us) ? (us / 1000).toFixed(2) : '–');

function cell(f, key, format = num) {
  const s = f?.[key];
  if (s === undefined) return '–';
  return s.n > 1 ? `${format(s.median)} (${format(s.min)}–${format(s.max)})` : format(s.median);
}

function ratio(a, b, key) {
  const x = a?.[key]?.median;
  const y = b?.[key]?.median;
  return Number.isFinite(x) && Number.isFinite(y) && y > 0 ? `${(x / y).toFixed(1)}x` : '–';
}

export function markdown(report) {
  const f = report.figures;
  const get = (system, n, mode) => f[`${system}|${n}|${mode}`];
  const processes = report.options.processes;
  const lines = [];
  const m = report.machine;
  lines.push(
    '# Cross-process fan-out over Redis: wsx + wsx-redis and Socket.IO + redis-adapter',
    '',
  );
  lines.push(
    `${report.date}, ${report.seconds} s, ${report.options.reps} repetition(s): medians (min–max).`,
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}; wsx ${m.wsx} at ${m.commit}${m.uncommitted ? ' (uncommitted changes)' : ''}.`,
    `Pinning: ${m.pinning}; redis-server on the load generator's core. Load average before: ${report.load.before.map((x) => x.toFixed(2)).join(', ')}; after: ${report.load.after.map((x) => x.toFixed(2)).join(', ')} (the machine is shared).`,
    '',
  );
  lines.push(
    '## Throughput: 50 subscribers per process, 64 messages in flight',
    '',
    "| processes | wsx deliveries/s | wsx deliveries per server CPU-s | Socket.IO deliveries/s | Socket.IO deliveries per server CPU-s | wsx / Socket.IO per CPU-s | Redis CPU % (wsx / Socket.IO) | load generator CPU % (wsx / Socket.IO) | other processes' CPU % (wsx / Socket.IO) |",
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  const local = get('wsx-local', 1, 'throughput');
  if (local !== undefined) {
    lines.push(
      `| 1, no Redis (wsx alone) | ${cell(local, 'deliveriesPerSec')} | ${cell(local, 'deliveriesPerCpuSec')} | | | | | ${cell(local, 'loadCpuPct')} | ${cell(local, 'otherCpuPct')} |`,
    );
  }
  for (const n of processes) {
    const w = get('wsx', n, 'throughput');
    const s = get('socketio', n, 'throughput');
    if (w === undefined && s === undefined) continue;
    lines.push(
      `| ${n} | ${cell(w, 'deliveriesPerSec')} | ${cell(w, 'deliveriesPerCpuSec')} | ${cell(s, 'deliveriesPerSec')} | ${cell(s, 'deliveriesPerCpuSec')} | ${ratio(w, s, 'deliveriesPerCpuSec')} | ${cell(w, 'redisCpuPct')} / ${cell(s, 'redisCpuPct')} | ${cell(w, 'loadCpuPct')} / ${cell(s, 'loadCpuPct')} | ${cell(w, 'otherCpuPct')} / ${cell(s, 'otherCpuPct')} |`,
    );
  }
  lines.push(
    '',
    `## Latency at ${report.options.rate.toLocaleString('en')} messages/s: 2 subscribers per process, publish to receipt (ms)`,
    '',
    "| processes | system | messages/s sent | all arrived | local p50 | local p99 | cross-process p50 | cross-process p99 | CPU µs per message sent: publishing process / each other (understated for a system that falls behind) | other processes' CPU % |",
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|',
  );
  const rows = [['wsx-local', 1, 'wsx alone, no Redis']];
  for (const n of processes) rows.push(['wsx', n, 'wsx'], ['socketio', n, 'Socket.IO']);
  for (const [system, n, name] of rows) {
    const r = get(system, n, 'rate');
    if (r === undefined) continue;
    const all = r.missing?.max === 0 ? 'yes' : `${num(r.missing?.max)} missing at most`;
    const perMessage = (key) => {
      const us = r[key]?.median;
      const messages = r.sent?.median;
      return Number.isFinite(us) && messages > 0 ? (us / messages).toFixed(1) : '–';
    };
    const cpu = `${perMessage('firstCpuUs')}${n > 1 ? ` / ${perMessage('othersCpuUs')}` : ''}`;
    lines.push(
      `| ${n} | ${name} | ${cell(r, 'msgsPerSec')} | ${all} | ${cell(r, 'localP50Us', ms)} | ${cell(r, 'localP99Us', ms)} | ${n > 1 ? cell(r, 'crossP50Us', ms) : '–'} | ${n > 1 ? cell(r, 'crossP99Us', ms) : '–'} | ${cpu} | ${cell(r, 'otherCpuPct')} |`,
    );
  }
  if (report.redisBenchmark !== null) {
    lines.push(
      '',
      '## Redis pub/sub alone (`redis-benchmark`, 64-byte messages, 50 clients)',
      '',
      '| command | subscribers | pipeline | publishes/s | deliveries/s (publishes x subscribers) |',
      '|---|---:|---:|---:|---:|',
    );
    for (const row of report.redisBenchmark) {
      lines.push(
        `| ${row.command} | ${row.subs} | ${row.pipeline} | ${num(row.publishesPerSec)} | ${row.subs ? num(row.deliveriesPerSec) : '–'} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
