// Handshakes per second: `concurrency` loops, each: connect, send the upgrade request (one
// prebuilt buffer), wait for the 101, send a close frame, wait for the server to close TCP
// (RFC 6455 §7.1.1: the server closes first), start again. Counted: 101s received.
//
// Most of the cost of this loop is the kernel's (connect() runs the loopback SYN exchange in
// our context), so the client stays as lean as Node allows: one read buffer shared by every
// socket, no strings, no per-connection closures beyond the socket's own.
import { connect } from 'node:net';
import { cpuWindow } from '../lib/proc.mjs';
import { sleep } from './client.mjs';
import { CLOSE_FRAME } from './frames.mjs';
import { upgradeRequest } from './handshake.mjs';

const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const STATUS_101 = Buffer.from('HTTP/1.1 101');
const HEAD_END = Buffer.from('\r\n\r\n');

/** What the loops count: handshakes done and failed, and whether they go on. */
export function newLoopState() {
  return { done: 0, failed: 0, running: true, lastError: '' };
}

export async function handshakes(job) {
  const request = upgradeRequest(job.port, '/');
  const state = newLoopState();

  function once(resolve) {
    let stage = 0; // 0: waiting for the head, 1: head seen (what follows is the close frame)
    const socket = connect({
      port: job.port,
      host: '127.0.0.1',
      onread: {
        buffer: READ_BUFFER,
        callback(nread, buffer) {
          if (stage !== 0) return;
          // The 101 head (~130 bytes) arrives in one read; the buffer is shared, so only its
          // first `nread` bytes are this read's.
          const end = buffer.indexOf(HEAD_END);
          if (end < 0 || end + HEAD_END.length > nread) return;
          stage = 1;
          if (buffer.compare(STATUS_101, 0, STATUS_101.length, 0, STATUS_101.length) === 0) {
            state.done++;
            socket.write(CLOSE_FRAME); // the server answers with its close frame and closes TCP
          } else {
            state.failed++;
            socket.destroy();
          }
        },
      },
    });
    const timer = setTimeout(() => socket.destroy(new Error('timeout')), 10_000);
    socket.on('connect', () => socket.write(request));
    socket.on('error', (error) => {
      state.failed++;
      state.lastError = error.message;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  }

  return handshakeLoops(job, state, once);
}

/**
 * Runs `job.concurrency` loops of `once` (one handshake, resolving when it is over), counts
 * `state.done` over the measurement window after the warm-up, and reads the server's CPU for it.
 * Shared by the HTTP/1.1 loop above and the HTTP/2 one (h2.mjs).
 */
export async function handshakeLoops(job, state, once) {
  async function lane() {
    while (state.running) await new Promise(once);
  }
  const lanes = Array.from({ length: job.concurrency }, lane);
  await sleep(job.warmup * 1000);
  const start = { ...state };
  const meter = cpuWindow(job.serverPid);
  await sleep(job.window * 1000);
  const cpu = meter();
  state.running = false;
  const count = state.done - start.done;
  await Promise.all(lanes);
  return {
    ...cpu,
    handshakes: count,
    handshakesPerSec: count / cpu.seconds,
    cpuUsPerHandshake: cpu.serverCpuUs / count,
    failed: state.failed - start.failed,
    lastError: state.lastError,
  };
}
