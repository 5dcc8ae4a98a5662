// The client's opening handshake on a raw socket: a request written as one prebuilt string, the
// 101 checked (status and, once per process, Sec-WebSocket-Accept), the agreed extensions
// returned, and whatever arrived after the head handed over to the frame reader.
import { createHash } from 'node:crypto';
import { connect } from 'node:net';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='; // RFC 6455 §1.3's sample nonce: fixed, as frames are
const ACCEPT = createHash('sha1')
  .update(`${KEY}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
  .digest('base64');
/** What a browser offers: permessage-deflate with client_max_window_bits (no value). */
export const DEFLATE_OFFER = 'permessage-deflate; client_max_window_bits';

/** The request head, as a Buffer to write. */
export function upgradeRequest(port, path, extensions) {
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n` +
      (extensions ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : '') +
      '\r\n',
    'latin1',
  );
}

/** Checks a response head; returns the Sec-WebSocket-Extensions value ('' if none). */
export function checkResponse(head) {
  if (!head.startsWith('HTTP/1.1 101')) {
    throw new Error(`handshake refused: ${head.split('\r\n', 1)[0]}`);
  }
  const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
  if (accept !== ACCEPT) throw new Error(`bad Sec-WebSocket-Accept: ${accept}`);
  return /\r\nsec-websocket-extensions:\s*([^\r]*)/i.exec(head)?.[1]?.trim() ?? '';
}

/**
 * Every read of every socket in this process lands in this one buffer (net's `onread` option):
 * no allocation per read, which is most of what reading a socket costs in JavaScript. Whatever
 * is kept past the callback must be copied.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

function onread(nread, buffer) {
  // `this` is the socket. Until someone consumes, keep copies (rare: frames right after 101).
  const chunk = buffer.subarray(0, nread);
  if (this.consumer !== null) this.consumer(chunk);
  else this.queued.push(Buffer.from(chunk));
}

/**
 * Opens a WebSocket on a raw TCP socket. Resolves { socket, extensions, rest }: `rest` is what
 * followed the head (copied). Later reads go to `socket.consumer(chunk)` once it is set (the
 * chunk is only valid during the call); until then they queue in `socket.queued`.
 */
export function openWebSocket({ port, path = '/', localAddress, extensions, timeout = 30_000 }) {
  return new Promise((resolve, reject) => {
    const socket = connect({
      port,
      host: '127.0.0.1',
      localAddress,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (n, b) => onread.call(socket, n, b) },
    });
    socket.queued = [];
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error('handshake timeout')), timeout);
    function fail(error) {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    }
    socket.once('error', fail);
    socket.once('connect', () => socket.write(upgradeRequest(port, path, extensions)));
    socket.consumer = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.consumer = null;
      socket.removeListener('error', fail);
      try {
        const agreed = checkResponse(head.toString('latin1', 0, end + 2));
        resolve({ socket, extensions: agreed, rest: head.subarray(end + 4) });
      } catch (error) {
        socket.destroy();
        reject(error);
      }
    };
  });
}

/** Opens `count` WebSockets, at most `concurrency` handshakes at a time. */
export async function openMany(count, options, concurrency = 200) {
  const sockets = new Array(count);
  let next = 0;
  async function lane() {
    while (next < count) {
      const i = next++;
      sockets[i] = await openWebSocket(options(i));
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return sockets;
}
