/**
 * Byte streams a peer sends, for seeds and properties: frames built by the test helpers (from
 * RFC 6455 §5.2, independently of the frame writer), masked when the peer is a client.
 */
import { constants, deflateRawSync } from 'node:zlib';
import type { Role } from '../../src/core/frame-rules.js';
import { concat, type FrameSpec, frame } from '../../test/helpers/frames.js';

export { concat, type FrameSpec, frame };

const KEY = [0x37, 0xfa, 0x21, 0x3d] as const;

/** A frame as the peer of `role` sends it: masked when we are the server. */
export function peerFrame(role: Role, spec: Omit<FrameSpec, 'mask'>): Uint8Array {
  return frame({ ...spec, mask: role === 'server' ? KEY : null });
}

/** RFC 7692 §7.2.1: DEFLATE with a sync flush, the trailing `00 00 ff ff` removed. */
export function compress(data: Uint8Array): Uint8Array {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

const text = (s: string) => new TextEncoder().encode(s);

/** A few well-formed conversations from the peer, for each role and with compression. */
export function sampleStreams(role: Role, compression: boolean): Uint8Array[] {
  const f = (spec: Omit<FrameSpec, 'mask'>) => peerFrame(role, spec);
  const streams = [
    concat([f({ opcode: 1, payload: 'Hello' }), f({ opcode: 9, payload: 'ping' })]),
    concat([
      f({ opcode: 1, fin: false, payload: text('你好') }),
      f({ opcode: 9, payload: '' }),
      f({ opcode: 0, payload: text(' 👋') }),
      f({ opcode: 2, payload: new Uint8Array(300).fill(7) }),
      f({ opcode: 8, payload: Uint8Array.of(0x03, 0xe8, 0x62, 0x79, 0x65) }),
    ]),
    concat([f({ opcode: 10, payload: 'pong' }), f({ opcode: 8, payload: '' })]),
  ];
  if (compression) {
    const message = compress(text('{"hello":"world","hello again":"world"}'));
    streams.push(
      concat([
        f({ opcode: 1, rsv: 4, payload: message }),
        f({ opcode: 2, rsv: 4, fin: false, payload: message.subarray(0, 3) }),
        f({ opcode: 9, payload: 'x' }),
        f({ opcode: 0, payload: message.subarray(3) }),
        f({ opcode: 1, payload: 'plain' }),
      ]),
    );
  }
  return streams;
}
