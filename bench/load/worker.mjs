#!/usr/bin/env node
// A load-generator process (started by run.mjs, pinned to its own core). It receives one job
// over IPC, runs it against the server, and sends back { type: 'result', ... }; jobs that hold
// connections for a memory reading send { type: 'ready' } first and wait for { cmd: 'release' }.
//
// After a result the sockets stay open until the runner has stopped the server and says
// `release`: the server's side then closes first, so TIME_WAIT lands on the server's port and
// not on ours (tens of thousands of client ports in TIME_WAIT would exhaust the ephemeral range).
import { echo } from './echo.mjs';
import { fanout } from './fanout.mjs';
import { h2handshakes } from './h2.mjs';
import { handshakes } from './handshakes.mjs';
import { hold } from './hold.mjs';
import { inflateAttack } from './inflate-attack.mjs';

const MODES = { echo, fanout, handshakes, hold, h2handshakes, 'inflate-attack': inflateAttack };

process.once('message', async (job) => {
  let result;
  try {
    result = await MODES[job.mode](job, (message) => process.send(message));
  } catch (error) {
    process.send({ type: 'error', message: error?.stack ?? String(error) }, () => process.exit(1));
    return;
  }
  if (job.mode === 'hold') {
    process.send({ type: 'result', result }, () => process.exit(0)); // released already
    return;
  }
  process.on('message', (message) => message.cmd === 'release' && process.exit(0));
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'result', result });
});
