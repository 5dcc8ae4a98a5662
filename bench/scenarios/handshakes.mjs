// Handshakes per second: connect, upgrade, close handshake, many at once.
import { runJob } from '../lib/processes.mjs';
import { window } from './echo.mjs';

export const handshakes = {
  id: 'handshakes',
  title: 'Handshakes',
  what:
    '100 concurrent loops of connect, upgrade, close frame, server closes TCP. The load ' +
    "generator's own kernel work per connection is about that of a fast server, so the " +
    'measured rate can be capped by it; capacity = 1 s / server CPU per handshake is not. ' +
    'Node floor: a 101 written without validating anything, and the close answered.',
  servers: ['wsx', 'ws', 'ws-addons', 'bun', 'floor'],
  params: (quick) => ({ concurrency: 100, ...window(quick) }),
  async run({ server, params, pin }) {
    const r = await runJob(
      { mode: 'handshakes', port: server.port, serverPid: server.pid, ...params },
      pin,
      server,
    );
    if (r.failed > 0) r.error = `${r.failed} failed: ${r.lastError}`;
    return { ...r, capacity: 1e6 / r.cpuUsPerHandshake };
  },
  metrics: [
    { key: 'handshakesPerSec', label: 'handshakes/s', better: 'higher', digits: 0 },
    { key: 'cpuUsPerHandshake', label: 'server CPU µs/handshake', better: 'lower', digits: 1 },
    { key: 'capacity', label: 'per server CPU-second', better: 'higher', digits: 0 },
  ],
  headline: 'capacity',
  target: { ratio: '>=', value: 2, text: 'handshakes/s ≥ 2x ws + add-ons' },
};
