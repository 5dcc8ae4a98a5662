/** RFC 6455 §8.1 and §5.6: UTF-8 handling of text messages (Autobahn case 6). */

import { describe, it } from 'node:test';
import { clientFrame, concat, hex } from '../helpers/frames.js';
import { type Peer, startEcho, type Transport } from './harness.js';
import { clientHeader, Op } from './wire.js';

const VALID: readonly (readonly [string, string])[] = [
  ['Greek', 'ceba e1bdb9 cf83 cebc ceb5'], // κόσμε
  ['mixed Latin-1', '48656c6c6f2d c2b5 40 c39f c3b6 c3a4 c3bc c3a0 c3a1 2d5554462d382121'],
  ['U+0080 and U+07FF', 'c280 dfbf'],
  ['U+0800 and U+FFFF', 'e0a080 efbfbf'],
  ['U+D7FF and U+E000 (around the surrogates)', 'ed9fbf ee8080'],
  ['U+FFFD and U+FEFF', 'efbfbd efbbbf'],
  ['U+10000 and U+10FFFF', 'f0908080 f48fbfbf'],
  ['emoji and CJK', 'f09f9880 e4bda0 e5a5bd'],
];

const INVALID: readonly (readonly [string, string])[] = [
  ['a surrogate inside text', 'ceba e1bdb9 cf83 cebc ceb5 eda080 656469746564'],
  ['a lone continuation byte', '61 80 62'],
  ['a lone 0xBF', 'bf'],
  ['an overlong 2-byte form (C0 AF)', 'c0af'],
  ['an overlong 2-byte form (C1 BF)', 'c1bf'],
  ['an overlong 3-byte form', 'e080af'],
  ['an overlong 3-byte U+07FF', 'e09fbf'],
  ['an overlong 4-byte form', 'f08080af'],
  ['an overlong 4-byte U+FFFF', 'f08fbfbf'],
  ['a high surrogate', 'eda080'],
  ['a low surrogate', 'edbfbf'],
  ['a surrogate pair', 'eda080edb080'],
  ['U+110000 (above U+10FFFF)', 'f4908080'],
  ['an F5 lead byte', 'f5808080'],
  ['a 5-byte form', 'f888808080'],
  ['a 6-byte form', 'fc8480808080'],
  ['0xFE', 'fe'],
  ['0xFF', 'ff'],
  ['a 2-byte character truncated at the end', '616263 c2'],
  ['a 3-byte character truncated at the end', '616263 e282'],
  ['a 4-byte character truncated at the end', '616263 f09f98'],
  ['a lead byte followed by ASCII', 'e241'],
];

/** `bytes` as one text message of 1-byte fragments, in one write. */
function oneByteFragments(bytes: Uint8Array): Uint8Array {
  return concat(
    Array.from(bytes, (b, i) =>
      clientFrame({
        opcode: i === 0 ? Op.TEXT : Op.CONT,
        fin: i === bytes.length - 1,
        payload: Uint8Array.of(b),
      }),
    ),
  );
}

export function utf8Cases(transport: Transport): void {
  describe('§8.1 UTF-8', () => {
    for (const [name, bytes] of VALID) {
      it(`echoes valid text: ${name}, whole, in 1-byte fragments and 1-byte writes`, async (t) => {
        const h = await startEcho(t, transport);
        const peer = await h.connect();
        const text = hex(bytes);
        peer.send(clientFrame({ opcode: Op.TEXT, payload: text }));
        await peer.expectFrame(Op.TEXT, text);
        peer.send(oneByteFragments(text));
        await peer.expectFrame(Op.TEXT, text);
        await peer.sendSlowly(clientFrame({ opcode: Op.TEXT, payload: text }), 1);
        await peer.expectFrame(Op.TEXT, text);
      });
    }

    for (const [name, bytes] of INVALID) {
      it(`fails with 1007 on ${name}, whole and in 1-byte fragments`, async (t) => {
        const h = await startEcho(t, transport);
        const whole = await h.connect();
        whole.send(clientFrame({ opcode: Op.TEXT, payload: hex(bytes) }));
        await whole.expectClose(1007);
        const fragmented = await h.connect();
        fragmented.send(oneByteFragments(hex(bytes)));
        await fragmented.expectClose(1007);
      });
    }

    it('fails fast: 1007 after the 2nd of 3 fragments, before the 3rd is sent', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      peer.send(
        clientFrame({ opcode: Op.TEXT, fin: false, payload: hex('ceba e1bdb9 cf83 cebc ceb5') }),
        clientFrame({ opcode: Op.CONT, fin: false, payload: hex('f4908080') }),
      );
      await peer.expectClose(1007); // the 3rd fragment is never sent
    });

    it('fails fast: 1007 on a 2nd fragment that breaks a character begun in the 1st', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      peer.send(clientFrame({ opcode: Op.TEXT, fin: false, payload: hex('6162 e2') }));
      await peer.expectQuiet();
      peer.send(clientFrame({ opcode: Op.CONT, fin: false, payload: hex('41') }));
      await peer.expectClose(1007);
    });

    for (const [declared, written, at] of [
      [1000, 100, 50],
      [100_000, 4000, 3000],
    ] as const) {
      it(`fails fast: 1007 from the first ${written} bytes of a ${declared}-byte frame`, async (t) => {
        const h = await startEcho(t, transport);
        const peer = await withheldFrame(await h.connect(), declared, written, at);
        await peer.expectClose(1007);
      });
    }
  });
}

/**
 * Writes the header of a `declared`-byte masked text frame and its first `written` payload
 * bytes, valid text except an invalid byte (0xFF) at `at`; the rest is never sent.
 */
async function withheldFrame(
  peer: Peer,
  declared: number,
  written: number,
  at: number,
): Promise<Peer> {
  const header = clientHeader(Op.TEXT, declared);
  const key = header.subarray(header.length - 4);
  const payload = Buffer.alloc(written, 0x61);
  payload[at] = 0xff;
  for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ key[i % 4]!;
  peer.send(header, payload);
  return peer;
}
