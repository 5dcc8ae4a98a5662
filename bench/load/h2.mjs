// WebSockets over HTTP/2 (RFC 8441) for the load generator: cleartext h2c sessions (prior
// knowledge) to the server, each carrying up to `perSession` WebSockets as extended CONNECT
// streams. A stream is wrapped to look like the raw sockets the rest of the load generator
// reads (`consumer`, `queued`, `write`, `cork`, `destroy`), so the echo and hold jobs run over
// either transport unchanged. Node's own http2 client does the HTTP/2 work: its cost is the load
// generator's, on its own core, not the server's.
import { connect } from 'node:http2';
import { CLOSE_FRAME } from './frames.mjs';
import { handshakeLoops, newLoopState } from './handshakes.mjs';

/** As browsers open them: one session per origin, many WebSockets on it. */
export const PER_SESSION = 100;

/** Larger than Node's 64 KiB defaults, so flow control is not what a throughput run measures. */
const WINDOW = 4 * 1024 * 1024;

/** An h2c session to the server, once its SETTINGS allow extended CONNECT. */
export function openSession(port) {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`, {
      settings: { initialWindowSize: WINDOW },
    });
    session.once('error', reject);
    session.once('remoteSettings', (settings) => {
      session.off('error', reject);
      session.on('error', () => {}); // teardown resets are expected
      if (!settings.enableConnectProtocol) {
        session.destroy();
        reject(new Error('the server does not allow extended CONNECT (RFC 8441)'));
        return;
      }
      session.setLocalWindowSize(WINDOW);
      resolve(session);
    });
  });
}

function headers(port, path, extensions) {
  return {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'http',
    ':path': path,
    ':authority': `127.0.0.1:${port}`,
    'sec-websocket-version': '13',
    ...(extensions ? { 'sec-websocket-extensions': extensions } : {}),
  };
}

/** Opens one WebSocket on `session`; resolves { socket, extensions, rest } like openWebSocket. */
export function openStream(session, { port, path = '/', extensions, timeout = 30_000 }) {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers(port, path, extensions), { endStream: false });
    const socket = wrap(stream);
    const timer = setTimeout(() => fail(new Error('handshake timeout')), timeout);
    function fail(error) {
      clearTimeout(timer);
      stream.destroy();
      reject(error);
    }
    stream.once('error', fail);
    stream.once('response', (h) => {
      clearTimeout(timer);
      stream.off('error', fail);
      if (h[':status'] !== 200) return fail(new Error(`extended CONNECT refused: ${h[':status']}`));
      resolve({ socket, extensions: String(h['sec-websocket-extensions'] ?? ''), rest: EMPTY });
    });
  });
}

const EMPTY = Buffer.alloc(0);

/** A stream with the surface of the load generator's raw sockets. */
function wrap(stream) {
  stream.consumer = null;
  stream.queued = [];
  stream.on('data', (chunk) => {
    if (stream.consumer !== null) stream.consumer(chunk);
    else stream.queued.push(chunk);
  });
  return stream;
}

/** Opens `count` WebSockets, `PER_SESSION` per session. */
export async function openManyH2(count, options) {
  const opened = [];
  for (let at = 0; at < count; at += PER_SESSION) {
    const session = await openSession(options(at).port);
    const n = Math.min(PER_SESSION, count - at);
    opened.push(
      ...(await Promise.all(
        Array.from({ length: n }, (_, i) => openStream(session, options(at + i))),
      )),
    );
  }
  return opened;
}

/**
 * Handshakes per second over HTTP/2: `concurrency` loops on one session, each: open an extended
 * CONNECT stream, wait for the 200, send a close frame, wait for the stream to close (the server
 * answers and ends its side, we end ours), start again. Counted: 200s received.
 */
export async function h2handshakes(job) {
  const session = await openSession(job.port);
  const state = newLoopState();
  const request = headers(job.port, '/');

  function once(resolve) {
    const stream = session.request(request, { endStream: false });
    const timer = setTimeout(() => stream.destroy(new Error('timeout')), 10_000);
    stream.on('response', (h) => {
      if (h[':status'] === 200) {
        state.done++;
        stream.write(CLOSE_FRAME);
      } else {
        state.failed++;
        stream.close();
      }
    });
    stream.on('data', () => {}); // the server's close frame
    stream.on('end', () => stream.end()); // its END_STREAM: ours follows
    stream.on('error', (error) => {
      state.failed++;
      state.lastError = error.message;
    });
    stream.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  }

  const result = await handshakeLoops(job, state, once);
  session.close();
  return result;
}
