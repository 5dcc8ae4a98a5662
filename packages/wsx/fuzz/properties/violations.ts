/**
 * A model-based property of the core `Connection`: a peer sends well-formed traffic (messages in
 * Chinese, emoji and binary, fragmented at random, with pings and pongs between fragments,
 * compressed when negotiated), then at most one violation of RFC 6455/7692 chosen from a
 * catalogue that knows the close code it deserves, then garbage. The events must be exactly the
 * well-formed traffic's, then one error with that close code; the bytes out exactly the pongs
 * and one close frame with that code; and every chunking of the stream gives the same.
 */
import fc from 'fast-check';
import type { Role } from '../../src/core/frame-rules.js';
import { check } from '../engine/target.js';
import { checkTranscript, drive, newConnection, sameTranscript } from '../support/drive.js';
import { compress, concat, frame, peerFrame } from '../support/streams.js';
import { chunkBy, hexOf } from '../support/wire.js';

export const MAX_MESSAGE = 4096;

/** Bytes the peer sends and the events they must produce. */
interface Piece {
  readonly bytes: Uint8Array;
  readonly events: readonly string[];
}

/** A violation and the close code it must fail the connection with. */
interface Violation {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly closeCode: 1002 | 1007 | 1009;
}

const encoder = new TextEncoder();
const piece = (bytes: Uint8Array, ...events: string[]): Piece => ({ bytes, events });

function cutInto(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let previous = 0;
  for (const p of [...points, data.length]) {
    if (p < previous) continue;
    parts.push(data.subarray(previous, p));
    previous = p;
  }
  return parts;
}

const payloadArb = fc.oneof(
  fc
    .string({ unit: 'grapheme', maxLength: 60 })
    .map((s) => ({ binary: false, data: encoder.encode(s) })),
  fc
    .constantFrom('你好, wsx', '👋🏽 emoji', '')
    .map((s) => ({ binary: false, data: encoder.encode(s) })),
  fc.uint8Array({ maxLength: 700 }).map((data) => ({ binary: true, data })),
);

const controlArb = fc.tuple(fc.constantFrom(9, 10), fc.uint8Array({ maxLength: 125 }));

/** A message, fragmented at random, with control frames between its fragments. */
function messageArb(role: Role, compression: boolean): fc.Arbitrary<Piece> {
  return fc
    .record({
      payload: payloadArb,
      cuts: fc.array(fc.nat(), { maxLength: 3 }),
      controls: fc.array(controlArb, { maxLength: 2 }),
      compressed: fc.boolean(),
    })
    .map(({ payload, cuts, controls, compressed }) => {
      const deflate = compression && compressed;
      const wire = deflate ? compress(payload.data) : payload.data;
      const parts = cutInto(wire, cuts);
      const frames: Uint8Array[] = [];
      const events: string[] = [];
      parts.forEach((part, i) => {
        const opcode = i === 0 ? (payload.binary ? 2 : 1) : 0;
        const rsv = i === 0 && deflate ? 4 : 0;
        frames.push(peerFrame(role, { opcode, rsv, fin: i === parts.length - 1, payload: part }));
        const control = controls[i];
        if (control !== undefined && i < parts.length - 1) {
          frames.push(peerFrame(role, { opcode: control[0], payload: control[1] }));
          events.push(`${control[0] === 9 ? 'ping' : 'pong'}:${hexOf(control[1])}`);
        }
      });
      events.push(`${payload.binary ? 'binary' : 'text'}:${hexOf(payload.data)}`);
      return piece(concat(frames), ...events);
    });
}

function controlPieceArb(role: Role): fc.Arbitrary<Piece> {
  return controlArb.map(([opcode, data]) =>
    piece(
      peerFrame(role, { opcode, payload: data }),
      `${opcode === 9 ? 'ping' : 'pong'}:${hexOf(data)}`,
    ),
  );
}

/** The catalogue: one violation of each kind the RFCs name, for this role and setting. */
function violations(role: Role, compression: boolean): Violation[] {
  const f = (spec: Parameters<typeof peerFrame>[1]) => peerFrame(role, spec);
  const key = [1, 2, 3, 4] as const;
  const v = (name: string, closeCode: 1002 | 1007 | 1009, ...frames: Uint8Array[]): Violation => ({
    name,
    closeCode,
    bytes: concat(frames),
  });
  const list = [
    v('RSV2 set', 1002, f({ opcode: 1, rsv: 2, payload: 'x' })),
    v('RSV3 set', 1002, f({ opcode: 2, rsv: 1, payload: 'x' })),
    v('reserved data opcode', 1002, f({ opcode: 3, payload: 'x' })),
    v('reserved control opcode', 1002, f({ opcode: 11 })),
    v('continuation with nothing to continue', 1002, f({ opcode: 0, payload: 'x' })),
    v(
      role === 'server' ? 'unmasked frame to a server' : 'masked frame to a client',
      1002,
      frame({ opcode: 1, payload: 'x', mask: role === 'server' ? null : key }),
    ),
    v('ping of 126 bytes', 1002, f({ opcode: 9, payload: new Uint8Array(126) })),
    v('fragmented ping', 1002, f({ opcode: 9, fin: false, payload: 'x' })),
    v('text that is not UTF-8', 1007, f({ opcode: 1, payload: Uint8Array.of(0x61, 0xc0, 0x80) })),
    v(
      'UTF-16 surrogate in UTF-8',
      1007,
      f({ opcode: 1, payload: Uint8Array.of(0xed, 0xa0, 0x80) }),
    ),
    v(
      'text ending inside a character',
      1007,
      f({ opcode: 1, fin: false, payload: encoder.encode('你好') }),
      f({ opcode: 0, payload: Uint8Array.of(0xe4, 0xbd) }),
    ),
    v(
      'frame over maxMessageSize',
      1009,
      f({ opcode: 2, payload: new Uint8Array(MAX_MESSAGE + 1) }),
    ),
    v(
      'fragments over maxMessageSize',
      1009,
      f({ opcode: 2, fin: false, payload: new Uint8Array(MAX_MESSAGE) }),
      f({ opcode: 0, payload: 'x' }),
    ),
    v('close with a 1-byte payload', 1002, f({ opcode: 8, payload: Uint8Array.of(3) })),
    ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000].map((code) =>
      v(
        `close code ${code}`,
        1002,
        f({ opcode: 8, payload: Uint8Array.of(code >> 8, code & 255) }),
      ),
    ),
    v('close reason not UTF-8', 1007, f({ opcode: 8, payload: Uint8Array.of(3, 232, 0xff) })),
    v(
      'new message inside a fragmented one',
      1002,
      f({ opcode: 1, fin: false, payload: 'a' }),
      f({ opcode: 1, payload: 'b' }),
    ),
    v('16-bit length below 126', 1002, f({ opcode: 2, payload: 'abc', lengthBits: 16 })),
    v('64-bit length below 65536', 1002, f({ opcode: 2, payload: 'abc', lengthBits: 64 })),
    v('RSV1 on a ping', 1002, f({ opcode: 9, rsv: 4 })),
  ];
  if (!compression) {
    list.push(v('RSV1 without permessage-deflate', 1002, f({ opcode: 1, rsv: 4, payload: 'x' })));
    return list;
  }
  list.push(
    v(
      'RSV1 on a continuation',
      1002,
      f({ opcode: 1, rsv: 4, fin: false, payload: compress(encoder.encode('abc')) }),
      f({ opcode: 0, rsv: 4, payload: Uint8Array.of(0) }),
    ),
    v('invalid DEFLATE data', 1007, f({ opcode: 2, rsv: 4, payload: Uint8Array.of(0xff, 0xff) })),
    v(
      'compressed text that inflates to invalid UTF-8',
      1007,
      f({ opcode: 1, rsv: 4, payload: compress(Uint8Array.of(0x61, 0xff)) }),
    ),
    v(
      'inflates past maxMessageSize',
      1009,
      f({ opcode: 2, rsv: 4, payload: compress(new Uint8Array(MAX_MESSAGE + 1)) }),
    ),
  );
  return list;
}

export interface Scenario {
  readonly role: Role;
  readonly compression: boolean;
  readonly pieces: readonly Piece[];
  readonly violation: Violation | null;
  readonly garbage: Uint8Array;
  readonly chunkSizes: readonly number[];
}

export const scenarioArb: fc.Arbitrary<Scenario> = fc
  .tuple(fc.constantFrom<Role>('server', 'client'), fc.boolean())
  .chain(([role, compression]) =>
    fc.record({
      role: fc.constant(role),
      compression: fc.constant(compression),
      pieces: fc.array(fc.oneof(messageArb(role, compression), controlPieceArb(role)), {
        maxLength: 6,
      }),
      violation: fc.option(fc.constantFrom(...violations(role, compression)), { freq: 3 }),
      garbage: fc.uint8Array({ maxLength: 40 }),
      chunkSizes: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }),
    }),
  );

/** Checks one scenario; throws a PropertyFailure when the connection does not behave. */
export function checkScenario(s: Scenario): void {
  const stream = concat([
    ...s.pieces.map((p) => p.bytes),
    ...(s.violation === null ? [] : [s.violation.bytes, s.garbage]),
  ]);
  const feed = (chunks: Uint8Array[]) => {
    const conn = newConnection({
      role: s.role,
      compression: s.compression,
      maxMessageSize: MAX_MESSAGE,
    });
    return { conn, transcript: drive(conn, chunks, false) };
  };
  const whole = feed([stream.slice()]);
  checkTranscript(whole.conn, whole.transcript, false);
  const expected = s.pieces.flatMap((p) => p.events);
  const events = whole.transcript.events;
  const what = s.violation?.name ?? 'well-formed traffic';
  const valid = s.violation === null ? events : events.slice(0, -1);
  check(valid.join('\n') === expected.join('\n'), () => `${what}: events differ: ${events}`);
  if (s.violation !== null) {
    const last = events.at(-1) ?? '';
    check(last.startsWith('error:'), `${what}: no error event`);
    check(
      last.endsWith(`:${s.violation.closeCode}`),
      `${what}: ${last}, not ${s.violation.closeCode}`,
    );
  }
  sameTranscript(feed(chunkBy(stream, [1])).transcript, whole.transcript, `${what}, byte by byte`);
  sameTranscript(
    feed(chunkBy(stream, s.chunkSizes)).transcript,
    whole.transcript,
    `${what}, chunked`,
  );
}

export const violationsProperty = fc.property(scenarioArb, checkScenario);
