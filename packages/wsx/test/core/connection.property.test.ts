/**
 * Property-based tests: a client Connection wired to a server Connection in memory, random
 * messages, random fragmentation, random chunking of the byte stream.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { State } from '../../src/core/lifecycle.js';
import { connectionPair, server } from '../helpers/connection.js';
import { splitAt } from '../helpers/frames.js';

type Message = { type: 'text'; text: string } | { type: 'binary'; data: Uint8Array };

const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    type: fc.constant('text' as const),
    text: fc.string({ unit: 'binary', maxLength: 300 }),
  }),
  fc.record({ type: fc.constant('binary' as const), data: fc.uint8Array({ maxLength: 3000 }) }),
);

/** A message and where to cut it into fragments. */
const fragmented = fc.tuple(message, fc.array(fc.nat(), { maxLength: 4 }));

function sendFragmented(
  conn: ReturnType<typeof connectionPair>['client'],
  msg: Message,
  cuts: number[],
): void {
  const data = msg.type === 'text' ? new TextEncoder().encode(msg.text) : msg.data;
  const pieces = splitAt(
    data,
    cuts.map((c) => c % (data.length + 1)),
  );
  pieces.forEach((piece, i) => {
    const fin = i === pieces.length - 1;
    if (i === 0) {
      if (msg.type === 'text') conn.sendText(piece, fin);
      else conn.sendBinary(piece, fin);
    } else {
      conn.sendContinuation(piece, fin);
    }
  });
}

function expected(msg: Message): unknown {
  if (msg.type === 'text')
    return ['text', Buffer.from(new TextEncoder().encode(msg.text)).toString('hex')];
  return ['binary', Buffer.from(msg.data).toString('hex')];
}

function received(events: readonly { type: string; data?: Uint8Array }[]): unknown[] {
  return events
    .filter((e) => e.type === 'text' || e.type === 'binary')
    .map((e) => [e.type, Buffer.from(e.data!).toString('hex')]);
}

describe('client and server connections in memory (RFC 6455 §5-§7 end to end)', () => {
  it('random messages, fragmented at random, re-chunked at random, arrive intact both ways', () => {
    fc.assert(
      fc.property(
        fc.array(fragmented, { maxLength: 8 }),
        fc.array(fragmented, { maxLength: 8 }),
        fc.array(fc.nat({ max: 200 }), { maxLength: 5 }),
        (toServer, toClient, cutSizes) => {
          const pair = connectionPair();
          const rechunk = (d: Uint8Array) =>
            splitAt(
              d,
              cutSizes.map((c) => c % (d.length + 1)),
            );
          for (const [msg, cuts] of toServer) sendFragmented(pair.client, msg, cuts);
          for (const [msg, cuts] of toClient) sendFragmented(pair.server, msg, cuts);
          pair.client.sendPing(new Uint8Array([1, 2, 3]));
          pair.pump(rechunk);
          assert.deepEqual(
            received(pair.received.server),
            toServer.map(([m]) => expected(m)),
          );
          assert.deepEqual(
            received(pair.received.client),
            toClient.map(([m]) => expected(m)),
          );
          assert.ok(pair.received.client.some((e) => e.type === 'pong'));
          // Closing handshake initiated by the client.
          pair.client.sendClose(1000, 'done');
          pair.pump(rechunk);
          assert.equal(pair.server.closeCode, 1000);
          assert.equal(pair.client.closeCode, 1000);
          assert.equal(pair.server.state, State.CLOSED, 'the server closed TCP and got EOF back');
          assert.equal(pair.client.state, State.CLOSED);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('receiveData never throws on arbitrary bytes, and fails with a valid close code', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const s = server({ maxMessageSize: 4096 });
        for (const c of chunks) s.receiveData(c);
        for (const e of s.eventsReceived()) {
          if (e.type === 'error') assert.ok([1002, 1007, 1009].includes(e.error.closeCode));
        }
        // The close frame is queued once the events before the violation have been taken.
        s.dataToSend();
        if (s.failure !== null) assert.equal(s.closeSent?.code, s.failure.closeCode);
      }),
      { numRuns: 3000 },
    );
  });
});
