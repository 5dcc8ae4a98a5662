/**
 * RFC 7692 in the sans-I/O Connection: RSV1 rules, compressed messages handed out as work items
 * (in order, whatever the timing of the answers), and compressed sends. zlib stands in for the
 * I/O layer's codec.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Connection } from '../../src/core/connection.js';
import { prepareMessage } from '../../src/core/frame-writer.js';
import { client, feed, output, server, summarize } from '../helpers/connection.js';
import { bytes, clientFrame, concat, frame, hex, toHex } from '../helpers/frames.js';

const TAIL = hex('0000ffff');

/** RFC 7692 §7.2.1: DEFLATE with a sync flush, the trailing 00 00 ff ff removed. */
function compress(data: Uint8Array | string): Uint8Array {
  const out = deflateRawSync(bytes(data), { finishFlush: constants.Z_SYNC_FLUSH });
  assert.equal(toHex(out.subarray(-4)), '0000ffff');
  return out.subarray(0, -4);
}

/** RFC 7692 §7.2.2: append 00 00 ff ff, inflate. */
function inflate(data: Uint8Array): Uint8Array {
  return inflateRawSync(concat([data, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH });
}

/** Answers every work item at once, as a synchronous codec would. */
function drain(conn: Connection): void {
  for (let work = conn.takeWork(); work !== null; work = conn.takeWork()) {
    conn.completeWork(inflate(work.data));
  }
}

const deflating = () => server({ compression: true });

describe('RFC 7692 §6 the Per-Message Compressed bit', () => {
  it('a compressed text message (RSV1 on its only frame) is inflated and validated', () => {
    const s = deflating();
    s.receiveData(clientFrame({ opcode: 1, rsv: 4, payload: compress('你好, compressed world') }));
    assert.deepEqual(summarize(s.eventsReceived()), []);
    const work = s.takeWork();
    assert.ok(work !== null);
    assert.equal(work.binary, false);
    assert.equal(s.takeWork(), null, 'handed out once');
    s.completeWork(inflate(work.data));
    assert.deepEqual(summarize(s.eventsReceived()), [['text', '你好, compressed world']]);
  });

  it('a fragmented compressed message: RSV1 on the first frame only', () => {
    const s = deflating();
    const payload = compress('a'.repeat(5000));
    const parts = [payload.subarray(0, 3), payload.subarray(3, 10), payload.subarray(10)] as const;
    s.receiveData(
      concat([
        clientFrame({ opcode: 2, rsv: 4, fin: false, payload: parts[0] }),
        clientFrame({ opcode: 9, payload: 'ping in between' }),
        clientFrame({ opcode: 0, fin: false, payload: parts[1] }),
        clientFrame({ opcode: 0, fin: true, payload: parts[2] }),
      ]),
    );
    drain(s);
    const events = summarize(s.eventsReceived());
    assert.equal(events.length, 2);
    assert.deepEqual(events[0], ['ping', toHex(bytes('ping in between'))]);
    assert.deepEqual(events[1], ['binary', toHex(bytes('a'.repeat(5000)))]);
  });

  it('an empty compressed message (the single 00 byte of an empty DEFLATE block)', () => {
    const s = deflating();
    s.receiveData(clientFrame({ opcode: 1, rsv: 4, payload: compress('') }));
    drain(s);
    assert.deepEqual(summarize(s.eventsReceived()), [['text', '']]);
  });

  it('uncompressed messages still work on a compressing connection', () => {
    const s = deflating();
    assert.deepEqual(feed(s, [clientFrame({ opcode: 1, payload: 'plain' })]), [['text', 'plain']]);
  });

  for (const [name, f] of [
    ['RSV1 without negotiation', clientFrame({ opcode: 1, rsv: 4, payload: compress('x') })],
    [
      'RSV1 on a continuation frame',
      concat([
        clientFrame({ opcode: 1, fin: false, payload: 'a' }),
        clientFrame({ opcode: 0, rsv: 4, payload: 'b' }),
      ]),
    ],
    ['RSV1 on a ping', clientFrame({ opcode: 9, rsv: 4, payload: '' })],
  ] as const) {
    it(`fails with 1002 on ${name}`, () => {
      const s = name === 'RSV1 without negotiation' ? server() : deflating();
      const events = feed(s, [f]);
      assert.deepEqual(events.at(-1), ['error', 'WSX_ERR_UNEXPECTED_RSV', 1002]);
    });
  }
});

describe('work items keep messages in order, whatever the timing', () => {
  it('parsing waits for the answer: later messages (compressed or not) come after', () => {
    const s = deflating();
    s.receiveData(
      concat([
        clientFrame({ opcode: 1, rsv: 4, payload: compress('first') }),
        clientFrame({ opcode: 1, payload: 'second' }),
        clientFrame({ opcode: 1, rsv: 4, payload: compress('third') }),
      ]),
    );
    s.receiveData(clientFrame({ opcode: 1, payload: 'fourth' })); // arrives while waiting
    assert.deepEqual(summarize(s.eventsReceived()), []);
    const first = s.takeWork()!;
    // The answer comes later (an asynchronous codec): nothing moves until then.
    s.receiveData(clientFrame({ opcode: 1, payload: 'fifth' }));
    assert.deepEqual(summarize(s.eventsReceived()), []);
    s.completeWork(inflate(first.data));
    assert.deepEqual(summarize(s.eventsReceived()), [
      ['text', 'first'],
      ['text', 'second'],
    ]);
    const third = s.takeWork()!;
    s.completeWork(inflate(third.data));
    assert.deepEqual(summarize(s.eventsReceived()), [
      ['text', 'third'],
      ['text', 'fourth'],
      ['text', 'fifth'],
    ]);
  });

  it('end of stream while inflating: the message is delivered, then the connection closes', () => {
    const s = deflating();
    s.receiveData(concat([clientFrame({ opcode: 1, rsv: 4, payload: compress('last') })]));
    s.receiveEof();
    assert.notEqual(s.state, 3, 'not closed while a message is being inflated');
    s.completeWork(inflate(s.takeWork()!.data));
    assert.deepEqual(summarize(s.eventsReceived()), [['text', 'last']]);
    assert.equal(s.state, 3);
    assert.equal(s.closeCode, 1006);
  });

  it('failing the connection while inflating drops the work; a late answer is ignored', () => {
    const s = deflating();
    s.receiveData(clientFrame({ opcode: 1, rsv: 4, payload: compress('doomed') }));
    const work = s.takeWork()!;
    s.fail(1011);
    s.completeWork(inflate(work.data));
    assert.deepEqual(summarize(s.eventsReceived()), []);
    assert.equal(s.takeWork(), null);
  });

  it('invalid UTF-8 once inflated fails with 1007', () => {
    const s = deflating();
    s.receiveData(clientFrame({ opcode: 1, rsv: 4, payload: compress(hex('ff')) }));
    drain(s);
    assert.deepEqual(summarize(s.eventsReceived()), [['error', 'WSX_ERR_INVALID_UTF8', 1007]]);
  });

  it('failWork: 1009 when the output passed the limit, 1007 for corrupt data', () => {
    const big = deflating();
    big.receiveData(clientFrame({ opcode: 2, rsv: 4, payload: compress('x') }));
    big.takeWork();
    big.failWork(true);
    assert.deepEqual(summarize(big.eventsReceived()), [['error', 'WSX_ERR_MESSAGE_TOO_BIG', 1009]]);
    assert.equal(output(big).bytes[3], 0xf1, 'close 1009 sent');
    const corrupt = deflating();
    corrupt.receiveData(clientFrame({ opcode: 2, rsv: 4, payload: hex('ffffff') }));
    corrupt.takeWork();
    corrupt.failWork(false, 'invalid block type');
    assert.deepEqual(summarize(corrupt.eventsReceived()), [
      ['error', 'WSX_ERR_INVALID_COMPRESSED_DATA', 1007],
    ]);
  });

  it("the compressed size counts against maxMessageSize before inflating, with DEFLATE's worst-case expansion", () => {
    // compressedBound(10) = 10 + 2 + 1 + 5 = 18 bytes of compressed data at most.
    const s = server({ compression: true, maxMessageSize: 10 });
    const events = feed(s, [clientFrame({ opcode: 2, rsv: 4, payload: new Uint8Array(19) })]);
    assert.deepEqual(events.at(-1), ['error', 'WSX_ERR_FRAME_TOO_BIG', 1009]);
    const fragmented = server({ compression: true, maxMessageSize: 10 });
    const more = feed(fragmented, [
      clientFrame({ opcode: 2, rsv: 4, fin: false, payload: new Uint8Array(10) }),
      clientFrame({ opcode: 0, fin: true, payload: new Uint8Array(9) }),
    ]);
    assert.deepEqual(more.at(-1), ['error', 'WSX_ERR_MESSAGE_TOO_BIG', 1009]);
  });

  // Regression, issue 11 #7: a 1,048,476-byte random message from Python websockets or Tornado
  // arrives as a compressed frame of 1,051,037 bytes; the limit is on the message, so a client
  // with the default 1 MiB limit must accept it (and still stop inflating at the limit).
  it('regression: a message within the limit whose compressed frame is larger is accepted', () => {
    const message = new Uint8Array(1_048_476);
    for (let i = 0, x = 0x9e3779b9; i < message.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      message[i] = x & 0xff;
    }
    const payload = compress(message);
    assert.ok(payload.length > 1024 * 1024, `compressed to ${payload.length} bytes`);
    const c = client({ compression: true, maxMessageSize: 1024 * 1024 });
    c.receiveData(frame({ opcode: 2, rsv: 4, payload }));
    const work = c.takeWork();
    assert.ok(work !== null, summarize(c.eventsReceived()).join());
    c.completeWork(inflate(work.data));
    const [event] = c.eventsReceived();
    assert.equal(event?.type, 'binary');
    assert.equal(event.type === 'binary' && event.data.length, message.length);
  });
});

describe('sending compressed messages (RFC 7692 §7.2.1)', () => {
  it('sendCompressed sets RSV1 and the peer inflates it', () => {
    const s = deflating();
    s.sendCompressed(false, compress('über'));
    const sent = output(s).bytes;
    assert.equal(sent[0], 0xc1, 'FIN + RSV1 + text');
    const c = client({ compression: true });
    c.receiveData(sent);
    drain(c);
    assert.deepEqual(summarize(c.eventsReceived()), [['text', 'über']]);
  });

  it('is refused without negotiation', () => {
    assert.throws(() => server().sendCompressed(true, new Uint8Array(1)), {
      code: 'WSX_ERR_INVALID_STATE',
    });
  });

  it('prepared compressed messages carry RSV1', () => {
    const message = prepareMessage(compress('topic'), false, undefined, true);
    const s = deflating();
    s.sendPrepared(message);
    assert.equal(output(s).bytes[0], 0xc1);
    assert.throws(() => server().sendPrepared(message), { code: 'WSX_ERR_INVALID_STATE' });
  });

  it('an unmasked compressed frame from a server (RFC 7692 §7.2.3.1 example "Hello")', () => {
    const c = client({ compression: true });
    c.receiveData(hex('c107f248cdc9c90700'));
    drain(c);
    assert.deepEqual(summarize(c.eventsReceived()), [['text', 'Hello']]);
  });
});
