/**
 * Fuzz target: the whole core `Connection` (src/core/connection.ts), server or client, with or
 * without permessage-deflate (inflate work answered by support/inflate.ts), fed one byte stream
 * whole, byte by byte and in random chunks. Checked: nothing throws; the three feeds give the
 * same events, the same bytes out and the same end of stream; and every transcript keeps the
 * invariants of support/drive.ts (one error at most, with 1002/1007/1009 and a matching close
 * frame; pongs echo pings; masking by role; a server closes TCP after a close).
 *
 * Input: byte 0 = flags (bit 0 client, bit 1 compression, bits 2-3 maxMessageSize, bit 4 end of
 * stream after the data, bits 5-6 how many reads late the chunked feed answers inflate work),
 * byte 1 = largest random chunk, then the stream.
 */
import type { Role } from '../../src/core/frame-rules.js';
import { Rng, seedOf } from '../engine/random.js';
import { type FuzzTarget, tokens } from '../engine/target.js';
import { checkTranscript, drive, newConnection, sameTranscript } from '../support/drive.js';
import { sampleStreams } from '../support/streams.js';
import { chunkBy } from '../support/wire.js';

const MESSAGE_SIZES = [64, 1000, 4096, 65536];

interface Setup {
  readonly role: Role;
  readonly compression: boolean;
  readonly maxMessageSize: number;
  readonly eof: boolean;
}

function setupOf(flags: number): Setup {
  return {
    role: flags & 1 ? 'client' : 'server',
    compression: (flags & 2) !== 0,
    maxMessageSize: MESSAGE_SIZES[(flags >> 2) & 3]!,
    eof: (flags & 16) !== 0,
  };
}

function feed(setup: Setup, chunks: Uint8Array[], answerEvery = 1) {
  const conn = newConnection({
    role: setup.role,
    compression: setup.compression,
    maxMessageSize: setup.maxMessageSize,
  });
  return { conn, transcript: drive(conn, chunks, setup.eof, answerEvery) };
}

function run(input: Uint8Array): void {
  const setup = setupOf(input[0] ?? 0);
  const stream = input.subarray(2);
  const rng = new Rng(seedOf(input));
  const largest = 1 + (input[1] ?? 0);
  const sizes = Array.from({ length: 1 + rng.below(16) }, () => 1 + rng.below(largest));

  const whole = feed(setup, [stream.slice()]);
  checkTranscript(whole.conn, whole.transcript, setup.eof);
  const byByte = feed(setup, chunkBy(stream, [1]));
  sameTranscript(byByte.transcript, whole.transcript, 'byte by byte');
  // Inflate work answered late (after 1 to 4 more reads), when there is any.
  const answerEvery = 1 + (((input[0] ?? 0) >> 5) % 4);
  const chunked = feed(setup, chunkBy(stream, sizes), answerEvery);
  const what = `chunks of ${sizes.join(',')}, inflate answered every ${answerEvery}`;
  sameTranscript(chunked.transcript, whole.transcript, what);
}

/** Flag bytes for the seeds: each role, with and without compression. */
const SETUPS: Array<[flags: number, role: Role, compression: boolean]> = [
  [0x04, 'server', false],
  [0x05, 'client', false],
  [0x06, 'server', true],
  [0x17, 'client', true],
];

export const connectionTarget: FuzzTarget = {
  name: 'connection',
  description: 'core Connection, both roles, compression: chunking-invariant, invariants hold',
  maxLength: 6000,
  dictionary: tokens(
    [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d],
    [0x81, 0x05],
    [0xc1, 0x85],
    [0x01, 0x83],
    [0x80, 0x82],
    [0x00, 0x80],
    [0x89, 0x80],
    [0x8a, 0x80],
    [0x88, 0x82],
    [0x88, 0x80],
    [0x82, 0xfe, 0x01, 0x00],
    [0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0],
    [0x03, 0xe8],
    [0x03, 0xed],
    [0x00, 0x00, 0xff, 0xff],
    [0xc0, 0x80],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xe4, 0xbd, 0xa0],
    [0xf0, 0x9f, 0x91],
    [0x37, 0xfa, 0x21, 0x3d],
  ),
  seeds: () =>
    SETUPS.flatMap(([flags, role, compression]) =>
      sampleStreams(role, compression).map((s) => Uint8Array.from([flags, 7, ...s])),
    ),
  run,
};
