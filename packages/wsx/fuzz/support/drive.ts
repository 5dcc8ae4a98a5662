/**
 * Drives a core `Connection` the way an I/O layer does: feed a chunk, then take events, answer
 * inflate work and take output until the connection has nothing more to say. The transcript it
 * records is what the properties compare and check.
 */
import { Connection, type ConnectionOptions, SEND_EOF } from '../../src/core/connection.js';
import type { ConnectionEvent } from '../../src/core/events.js';
import { check } from '../engine/target.js';
import { answerInflateWork } from './inflate.js';
import { decodeFrames, hexOf, isUtf8Text } from './wire.js';

export interface Transcript {
  /** Events as comparable strings, in order. */
  readonly events: string[];
  /** Every byte the connection asked to write, joined. */
  readonly out: Uint8Array;
  /** Whether it asked to half-close the transport. */
  readonly eof: boolean;
  readonly raw: ConnectionEvent[];
}

/** A deterministic masking source, so that a client's output is the same however it is fed. */
export function counterRandom(): (buf: Uint8Array) => void {
  let n = 7;
  return (buf) => {
    for (let i = 0; i < buf.length; i++) buf[i] = n = (n * 33 + 1) & 0xff;
  };
}

export function newConnection(options: Omit<ConnectionOptions, 'random'>): Connection {
  return new Connection({ ...options, random: counterRandom() });
}

/** How many rounds of taking events and output one chunk may cause before it counts as a hang. */
const MAX_SETTLE_ROUNDS = 10_000;

function describe(event: ConnectionEvent): string {
  switch (event.type) {
    case 'text':
    case 'binary':
    case 'ping':
    case 'pong':
      return `${event.type}:${hexOf(event.data)}`;
    case 'close':
      return `close:${event.code}:${event.reason}`;
    default:
      return `error:${event.error.code}:${event.error.closeCode}`;
  }
}

/**
 * Feeds `chunks` (then end of stream, with `eof`) and records everything that came out. Inflate
 * work is answered at once, or, with `answerEvery` n > 1, only after every n-th chunk and at the
 * end, as an I/O layer inflating off the main thread would: input and the end of stream then
 * arrive while the connection waits, and must change nothing but timing.
 */
export function drive(
  conn: Connection,
  chunks: readonly Uint8Array[],
  eof: boolean,
  answerEvery = 1,
): Transcript {
  const raw: ConnectionEvent[] = [];
  const out: Uint8Array[] = [];
  let sentEof = false;
  const settle = (answer: boolean) => {
    for (let round = 0; ; round++) {
      check(round < MAX_SETTLE_ROUNDS, 'the connection keeps producing events or work');
      const events = conn.eventsReceived();
      for (const event of events) raw.push(event);
      const worked = answer && answerInflateWork(conn);
      const data = conn.dataToSend();
      for (const bytes of data) {
        check(!sentEof, 'bytes to send after the end-of-stream marker');
        if (bytes === SEND_EOF) sentEof = true;
        else out.push(bytes.slice());
      }
      if (events.length === 0 && !worked && data.length === 0) return;
    }
  };
  chunks.forEach((chunk, i) => {
    conn.receiveData(chunk);
    settle((i + 1) % answerEvery === 0);
  });
  if (eof) conn.receiveEof();
  settle(true);
  return { events: raw.map(describe), out: Buffer.concat(out), eof: sentEof, raw };
}

/**
 * What must hold for any input: at most one error, with 1002, 1007 or 1009; nothing after an
 * error or the peer's close; text is UTF-8 and no message is over the limit; the output is only
 * pongs echoing the pings, in order, then at most one close frame carrying the error's code or
 * echoing the peer's; masked exactly when we are the client; a server closes TCP after a close.
 */
export function checkTranscript(conn: Connection, t: Transcript, eofFed: boolean): void {
  const pings: string[] = [];
  let ended: ConnectionEvent | null = null;
  for (const event of t.raw) {
    check(ended === null, () => `event ${event.type} after ${ended!.type}`);
    if (event.type === 'error') {
      check([1002, 1007, 1009].includes(event.error.closeCode), 'error close code');
      ended = event;
    } else if (event.type === 'close') {
      ended = event;
    } else if (event.type === 'ping') {
      pings.push(hexOf(event.data));
    } else if (event.type === 'text' || event.type === 'binary') {
      check(event.data.length <= conn.maxMessageSize, 'a message over maxMessageSize');
      if (event.type === 'text') check(isUtf8Text(event.data), 'a text message not UTF-8');
    }
  }
  const decoded = decodeFrames(t.out);
  check(decoded.error === null && decoded.rest === 0, 'output is not whole, valid frames');
  const frames = decoded.frames;
  const closes = frames.filter((f) => f.opcode === 0x8);
  check(closes.length <= 1, 'more than one close frame sent');
  for (const f of frames) {
    check(f.fin && f.rsv === 0, 'an output frame is fragmented or has RSV bits');
    check(f.masked === (conn.role === 'client'), 'output masking does not match the role');
    check(f.opcode === 0xa || f.opcode === 0x8, () => `unexpected output opcode ${f.opcode}`);
  }
  const pongs = frames.filter((f) => f.opcode === 0xa).map((f) => hexOf(f.payload));
  check(pongs.join() === pings.join(), 'pongs do not echo the pings in order');
  if (closes.length === 1) check(frames.at(-1)!.opcode === 0x8, 'a frame after the close frame');
  if (ended?.type === 'error') {
    check(closes.length === 1, 'a failure without a close frame');
    const code = (closes[0]!.payload[0]! << 8) | closes[0]!.payload[1]!;
    check(code === ended.error.closeCode, 'the close frame does not carry the error code');
  } else if (ended?.type === 'close') {
    check(closes.length === 1, "the peer's close frame was not answered");
    const echoed = closes[0]!.payload;
    const expected = ended.code === 1005 ? '' : ended.code.toString(16).padStart(4, '0');
    check(hexOf(echoed) === expected, 'the close code was not echoed');
  } else {
    check(closes.length === 0, 'a close frame without a reason');
  }
  const serverCloses = conn.role === 'server' && ended !== null;
  check(t.eof === (serverCloses || eofFed), 'end of stream sent when it should not be, or not');
}

/** The two transcripts are the same: events, bytes out and end of stream. */
export function sameTranscript(a: Transcript, b: Transcript, what: string): void {
  check(a.events.join('\n') === b.events.join('\n'), `${what}: events differ`);
  check(hexOf(a.out) === hexOf(b.out), `${what}: output bytes differ`);
  check(a.eof === b.eof, `${what}: end of stream differs`);
}
