// The load generator's side of permessage-deflate (RFC 7692): parse what the server agreed,
// compress the client's messages as the agreement requires, and inflate the server's messages
// for the connection that verifies content.
//
// Frames are still built once. Without client context takeover each message compresses alone.
// With it, a connection sends a fixed cycle of K messages over and over; we compress two cycles
// in one stream: cycle 1 is what a connection sends first, and cycle 2 is valid for every later
// cycle too, because a deflate block only refers back to the last 2^windowBits bytes of
// uncompressed data, which are the same in every cycle after the first as long as one cycle
// is at least a window long (checked).
import {
  constants,
  createDeflateRaw,
  createInflateRaw,
  deflateRawSync,
  inflateRawSync,
} from 'node:zlib';
import { clientFrame, OP_TEXT } from './frames.mjs';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]); // RFC 7692 §7.2.1: removed after a sync flush

/** The agreed parameters from a Sec-WebSocket-Extensions response, or null if none. */
export function parseAgreement(header) {
  if (!/^\s*permessage-deflate\b/i.test(header)) return null;
  const params = {};
  for (const part of header.split(';').slice(1)) {
    const [name, value] = part.trim().split('=');
    params[name.toLowerCase()] = value === undefined ? true : Number(value.replace(/"/g, ''));
  }
  return {
    serverNoContextTakeover: params.server_no_context_takeover === true,
    clientNoContextTakeover: params.client_no_context_takeover === true,
    serverMaxWindowBits: params.server_max_window_bits ?? 15,
    clientMaxWindowBits: params.client_max_window_bits ?? 15,
  };
}

/** Runs zlib stream work one message at a time: write, sync flush, collect what came out. */
class FlushStream {
  constructor(stream) {
    this.stream = stream;
    this.chunks = [];
    this.failure = null;
    stream.on('data', (chunk) => this.chunks.push(chunk));
    stream.on('error', (error) => {
      this.failure = error;
    });
    this.queue = Promise.resolve();
  }

  process(input) {
    const run = () =>
      new Promise((resolve, reject) => {
        if (this.failure !== null) return reject(this.failure);
        this.stream.write(input);
        this.stream.flush(constants.Z_SYNC_FLUSH, () => {
          if (this.failure !== null) return reject(this.failure);
          const out = Buffer.concat(this.chunks);
          this.chunks = [];
          resolve(out);
        });
      });
    this.queue = this.queue.then(run, run);
    return this.queue;
  }

  close() {
    this.stream.close();
  }
}

/** Compressed payloads of `messages`, in order, as the client's compressor would produce them. */
export async function compressAll(messages, agreement, zlibOptions = {}) {
  const windowBits = Math.max(9, agreement.clientMaxWindowBits);
  const options = { windowBits, level: 6, memLevel: 8, ...zlibOptions };
  if (agreement.clientNoContextTakeover) {
    const finishFlush = constants.Z_SYNC_FLUSH;
    return messages.map((m) => deflateRawSync(m, { ...options, finishFlush }).subarray(0, -4));
  }
  const stream = new FlushStream(createDeflateRaw(options));
  const out = [];
  for (const m of messages) out.push((await stream.process(m)).subarray(0, -4));
  stream.close();
  return out;
}

/**
 * Masked compressed text frames for a connection that sends `messages` cyclically:
 * `first` (cycle 1) and `steady` (every later cycle).
 */
export async function cyclicFrames(messages, agreement) {
  const windowBytes = 2 ** agreement.clientMaxWindowBits;
  const cycleBytes = messages.reduce((sum, m) => sum + m.length, 0);
  if (!agreement.clientNoContextTakeover && cycleBytes < windowBytes) {
    throw new Error(`a cycle of ${cycleBytes} B is shorter than the ${windowBytes} B window`);
  }
  const payloads = await compressAll([...messages, ...messages], agreement);
  const frames = payloads.map((p) => clientFrame(OP_TEXT, p, true));
  return { first: frames.slice(0, messages.length), steady: frames.slice(messages.length) };
}

/** Inflates the server's messages in order (context takeover as agreed). */
export class MessageInflater {
  constructor(agreement) {
    this.agreement = agreement;
    this.stream = null;
  }

  /** Promise of the message, in order; `compressed` false passes the payload through. */
  inflate(payload, compressed) {
    if (!compressed) return Promise.resolve(payload);
    const input = Buffer.concat([payload, TAIL]);
    // Without context takeover every message stands alone.
    if (this.agreement.serverNoContextTakeover) {
      return Promise.resolve(inflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH }));
    }
    this.stream ??= new FlushStream(createInflateRaw({ windowBits: 15 }));
    return this.stream.process(input);
  }

  close() {
    this.stream?.close();
  }
}
