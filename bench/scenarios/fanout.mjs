// Fan-out: one publisher, every connection on /broadcast subscribed (the publisher too).
import { runJob } from '../lib/processes.mjs';
import { window } from './echo.mjs';

function fanoutScenario(subs, quickSubs, target) {
  const label = subs.toLocaleString('en-US');
  return {
    id: `fanout-${subs / 1000}k`,
    title: `Fan-out, 64 B to ${label} subscribers`,
    what:
      `${label} connections on /broadcast; the publisher keeps 64 messages in flight (a message ` +
      'is in flight until every subscriber has it): deliveries per second. Then one at a ' +
      'time: publish-to-last-receipt latency.',
    servers: ['wsx', 'ws', 'ws-addons', 'bun'],
    params: (quick) => ({
      subs: quick ? quickSubs : subs,
      inflight: 64,
      ...window(quick),
      latencyWindow: quick ? 0.3 : 2,
      latencySamples: quick ? 50 : 500,
    }),
    run: ({ server, params, pin }) =>
      runJob({ mode: 'fanout', port: server.port, serverPid: server.pid, ...params }, pin, server),
    metrics: [
      { key: 'deliveriesPerSec', label: 'deliveries/s', better: 'higher', digits: 0 },
      { key: 'cpuUsPerDelivery', label: 'server CPU µs/delivery', better: 'lower', digits: 3 },
      { key: 'p50Us', label: 'last receipt p50 µs', better: 'lower', digits: 0 },
      { key: 'p99Us', label: 'last receipt p99 µs', better: 'lower', digits: 0 },
    ],
    headline: 'deliveriesPerSec',
    target,
  };
}

export const fanout1k = fanoutScenario(1_000, 100);
export const fanout10k = fanoutScenario(10_000, 500, {
  ratio: '>=',
  value: 30,
  text: 'deliveries/s ≥ 30x ws + add-ons',
});
