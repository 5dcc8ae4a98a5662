/** Limits (RFC 6455 §10.4), errors in application handlers (§7.4.1: 1011), concurrency. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientFrame } from '../helpers/frames.js';
import { startEcho, type Transport } from './harness.js';
import { clientHeader, closePayload, Op } from './wire.js';

const LIMIT = 1000;

function payload(n: number, seed = 0): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => 0x41 + ((i + seed) % 26)));
}

export function serverBehaviourCases(transport: Transport): void {
  describe('limits: maxMessageSize', () => {
    it('fails with 1009 on a frame whose declared length exceeds it (header only)', async (t) => {
      const h = await startEcho(t, transport, { maxMessageSize: LIMIT });
      const text = await h.connect();
      text.send(clientHeader(Op.TEXT, LIMIT + 1));
      await text.expectClose(1009);
      const huge = await h.connect();
      huge.send(clientHeader(Op.BINARY, 2 ** 40));
      await huge.expectClose(1009);
    });

    it('fails with 1009 on a message that exceeds it across fragments', async (t) => {
      const h = await startEcho(t, transport, { maxMessageSize: LIMIT });
      const two = await h.connect();
      two.send(clientFrame({ opcode: Op.TEXT, fin: false, payload: payload(600) }));
      two.send(clientHeader(Op.CONT, LIMIT - 600 + 1)); // header only
      await two.expectClose(1009);
      const many = await h.connect();
      for (let i = 0; i < 11; i++) {
        const opcode = i === 0 ? Op.BINARY : Op.CONT;
        many.send(clientFrame({ opcode, fin: i === 10, payload: payload(100) }));
      }
      await many.expectClose(1009);
    });

    it('echoes a message of exactly the limit, whole and fragmented', async (t) => {
      const h = await startEcho(t, transport, { maxMessageSize: LIMIT });
      const peer = await h.connect();
      peer.send(clientFrame({ opcode: Op.TEXT, payload: payload(LIMIT) }));
      await peer.expectFrame(Op.TEXT, payload(LIMIT));
      peer.send(
        clientFrame({ opcode: Op.BINARY, fin: false, payload: payload(600) }),
        clientFrame({ opcode: Op.CONT, fin: true, payload: payload(400, 600) }),
      );
      await peer.expectFrame(Op.BINARY, payload(LIMIT));
    });

    it('defaults to 1 MiB', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      peer.send(clientHeader(Op.BINARY, 1024 * 1024 + 1));
      await peer.expectClose(1009);
    });
  });

  describe('errors in handlers', () => {
    it('closes with 1011 (no detail) the client whose message handler throws', async (t) => {
      const errors: string[] = [];
      const h = await startEcho(t, transport, {
        message(ws, data, isBinary) {
          const text = data.toString();
          if (text === 'throw') throw new Error('secret detail');
          if (text === 'reject') return Promise.reject(new Error('async secret'));
          ws.send(data, { binary: isBinary });
          return undefined;
        },
        error(_ws, error) {
          errors.push(error.message);
        },
      });
      const bystander = await h.connect();
      for (const trigger of ['throw', 'reject']) {
        const victim = await h.connect();
        victim.send(clientFrame({ opcode: Op.TEXT, payload: 'fine' }));
        await victim.expectFrame(Op.TEXT, 'fine');
        bystander.send(clientFrame({ opcode: Op.TEXT, payload: `before ${trigger}` }));
        // After a synchronous throw, a message in the same write gets no answer: the connection
        // has failed. A rejected promise is noticed a tick later, after such a message.
        victim.send(
          clientFrame({ opcode: Op.TEXT, payload: trigger }),
          ...(trigger === 'throw' ? [clientFrame({ opcode: Op.TEXT, payload: 'after' })] : []),
        );
        const reason = await victim.expectClose(1011);
        assert.equal(reason, '', 'an internal error carries no detail');
        await bystander.expectFrame(Op.TEXT, `before ${trigger}`);
        bystander.send(clientFrame({ opcode: Op.TEXT, payload: `after ${trigger}` }));
        await bystander.expectFrame(Op.TEXT, `after ${trigger}`);
      }
      assert.deepEqual(errors, ['secret detail', 'async secret']);
      bystander.send(clientFrame({ opcode: Op.CLOSE, payload: closePayload(1000) }));
      await bystander.expectClose(1000);
    });
  });

  describe('concurrency', () => {
    it('echoes 20 messages on each of 50 clients at once', async (t) => {
      const h = await startEcho(t, transport);
      const clients = await Promise.all(Array.from({ length: 50 }, () => h.connect()));
      await Promise.all(
        clients.map(async (peer, c) => {
          const messages = Array.from({ length: 20 }, (_, m) =>
            m % 2 === 0 ? Buffer.from(`client ${c} message ${m} ✓`) : payload(1 + c * 20 + m, c),
          );
          for (const [m, data] of messages.entries()) {
            peer.send(clientFrame({ opcode: m % 2 === 0 ? Op.TEXT : Op.BINARY, payload: data }));
          }
          for (const [m, data] of messages.entries()) {
            await peer.expectFrame(m % 2 === 0 ? Op.TEXT : Op.BINARY, data);
          }
          peer.send(clientFrame({ opcode: Op.CLOSE, payload: closePayload(1000) }));
          await peer.expectClose(1000);
        }),
      );
    });
  });
}
