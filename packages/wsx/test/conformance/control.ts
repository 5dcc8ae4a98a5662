/** RFC 6455 §5.5: control frames (Autobahn case 2). */

import { describe, it } from 'node:test';
import { clientFrame } from '../helpers/frames.js';
import { startEcho, type Transport } from './harness.js';
import { Op } from './wire.js';

const BYTES_125 = Uint8Array.from({ length: 125 }, (_, i) => (i * 13) & 0xff);

export function controlCases(transport: Transport): void {
  describe('§5.5 control frames', () => {
    it('answers a ping with a pong carrying the same payload (§5.5.2, §5.5.3)', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      for (const payload of [new Uint8Array(0), Buffer.from('Hello, pong'), BYTES_125]) {
        peer.send(clientFrame({ opcode: Op.PING, payload }));
        await peer.expectFrame(Op.PONG, payload);
      }
    });

    it('fails with 1002 on a 126-byte ping (§5.5)', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      peer.send(clientFrame({ opcode: Op.PING, payload: new Uint8Array(126) }));
      await peer.expectClose(1002);
    });

    it('fails with 1002 on a fragmented ping (§5.5)', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      peer.send(
        clientFrame({ opcode: Op.PING, fin: false, payload: 'frag' }),
        clientFrame({ opcode: Op.CONT, fin: true, payload: 'mented' }),
      );
      await peer.expectClose(1002);
    });

    it('fails with 1002 on a fragmented close and a 126-byte pong', async (t) => {
      const h = await startEcho(t, transport);
      const a = await h.connect();
      a.send(clientFrame({ opcode: Op.CLOSE, fin: false, payload: '\x03\xe8' }));
      await a.expectClose(1002);
      const b = await h.connect();
      b.send(clientFrame({ opcode: Op.PONG, payload: new Uint8Array(126) }));
      await b.expectClose(1002);
    });

    it('ignores unsolicited pongs (§5.5.3)', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      peer.send(
        clientFrame({ opcode: Op.PONG, payload: 'unsolicited' }),
        clientFrame({ opcode: Op.PONG }),
        clientFrame({ opcode: Op.TEXT, payload: 'after pongs' }),
      );
      // The first thing back is the echo: no answer to the pongs.
      await peer.expectFrame(Op.TEXT, 'after pongs');
      await peer.expectQuiet();
    });
  });
}
