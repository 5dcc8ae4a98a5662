/**
 * Fuzz target: the inflate path. The input is the compressed payload of one message (RFC 7692
 * §7.2), sent with RSV1 in one or several frames between other frames, to a server or client
 * with permessage-deflate; the core hands it out as `InflateWork` and support/inflate.ts answers
 * with node:zlib and the work's limit. Checked: nothing throws; the message is delivered exactly
 * as an independent inflate gives it, or the connection fails with 1007 (invalid data) or 1009
 * (over `maxMessageSize`, never more than that limit inflated); the ping before and the message
 * after keep their places; every feed gives the same transcript.
 *
 * Input: byte 0 = flags (bit 0 client, bit 1 binary, bits 2-3 how many frames, bit 4 small
 * limit), then the DEFLATE data.
 */
import type { Role } from '../../src/core/frame-rules.js';
import { check, type FuzzTarget, tokens } from '../engine/target.js';
import { checkTranscript, drive, newConnection, sameTranscript } from '../support/drive.js';
import { inflateMessage } from '../support/inflate.js';
import { compress, concat, peerFrame } from '../support/streams.js';
import { chunkBy, hexOf, isUtf8Text } from '../support/wire.js';

function streamOf(role: Role, binary: boolean, pieces: number, data: Uint8Array): Uint8Array {
  const frames = [peerFrame(role, { opcode: 9, payload: 'before' })];
  const step = Math.ceil(data.length / pieces) || 1;
  for (let i = 0, at = 0; i < pieces; i++, at += step) {
    frames.push(
      peerFrame(role, {
        opcode: i === 0 ? (binary ? 2 : 1) : 0,
        rsv: i === 0 ? 4 : 0,
        fin: i === pieces - 1,
        payload: data.subarray(Math.min(at, data.length), Math.min(at + step, data.length)),
      }),
    );
  }
  frames.push(peerFrame(role, { opcode: 2, payload: 'after' }));
  return concat(frames);
}

function run(input: Uint8Array): void {
  const flags = input[0] ?? 0;
  const role: Role = flags & 1 ? 'client' : 'server';
  const binary = (flags & 2) !== 0;
  const pieces = 1 + ((flags >> 2) & 3);
  const maxMessageSize = flags & 16 ? 100 : 16384;
  const data = input.subarray(1);
  const stream = streamOf(role, binary, pieces, data);
  const feed = (chunks: Uint8Array[], answerEvery = 1) => {
    const conn = newConnection({ role, compression: true, maxMessageSize });
    return { conn, transcript: drive(conn, chunks, false, answerEvery) };
  };
  const whole = feed([stream.slice()]);
  checkTranscript(whole.conn, whole.transcript, false);
  const late = feed(chunkBy(stream, [1, 2, 3, 5, 8]), 3);
  sameTranscript(late.transcript, whole.transcript, 'chunks, inflate answered 3 reads late');

  const events = whole.transcript.events;
  check(events[0] === `ping:${hexOf(Buffer.from('before'))}`, 'the ping before did not come first');
  if (data.length > maxMessageSize) return; // refused on its declared size: checked elsewhere
  const expected = inflateMessage(data, maxMessageSize);
  if (expected.ok && (binary || isUtf8Text(expected.data))) {
    check(
      events[1] === `${binary ? 'binary' : 'text'}:${hexOf(expected.data)}`,
      () => `the message is not what zlib inflates: ${events[1]}`,
    );
    check(events[2] === `binary:${hexOf(Buffer.from('after'))}`, 'the next message is missing');
  } else {
    const code = expected.ok ? 1007 : expected.tooBig ? 1009 : 1007;
    check(events.length === 2, 'more than the ping and the error');
    check(events[1]!.endsWith(`:${code}`), () => `expected a failure with ${code}: ${events[1]}`);
  }
}

const enc = new TextEncoder();

export const inflateTarget: FuzzTarget = {
  name: 'inflate',
  description: 'compressed messages: delivered as inflated, or 1007/1009, order kept',
  maxLength: 4096,
  dictionary: tokens(
    [0x00, 0x00, 0xff, 0xff],
    [0x00, 0x05, 0x00, 0xfa, 0xff],
    [0x01, 0x00, 0x00, 0xff, 0xff],
    [0x02, 0x00],
    [0x03, 0x00],
    [0x4b, 0x4c, 0x4a, 0x06, 0x00],
    [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
  ),
  seeds: () => [
    Uint8Array.from([0x00, ...compress(enc.encode('Hello, 你好 👋'))]),
    Uint8Array.from([0x07, ...compress(new Uint8Array(5000).fill(0x61))]),
    Uint8Array.from([0x10, ...compress(new Uint8Array(200).fill(0x62))]),
    Uint8Array.from([0x05, ...compress(enc.encode('{"a":[1,2,3],"b":"cccccccccccccccc"}'))]),
    Uint8Array.of(0x02, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x61, 0x62),
  ],
  run,
};
