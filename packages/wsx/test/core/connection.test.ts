import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SEND_EOF } from '../../src/core/connection.js';
import { State } from '../../src/core/lifecycle.js';
import { client, feed, output, server, summarize } from '../helpers/connection.js';
import {
  bytes,
  chunksOf,
  clientFrame,
  concat,
  FEEDS,
  frame,
  hex,
  toHex,
} from '../helpers/frames.js';

const TEXT = 0x1;
const BINARY = 0x2;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;
const CONT = 0x0;

/** The close frame a server sends (unmasked) with this code and reason. */
function serverClose(code: number, reason = ''): string {
  return toHex(
    frame({
      opcode: CLOSE,
      payload: concat([hex(code.toString(16).padStart(4, '0')), bytes(reason)]),
    }),
  );
}

/** Asserts that the server failed with `closeCode` and `errorCode`, sent the close and EOF. */
function assertFailed(
  conn: ReturnType<typeof server>,
  events: unknown[],
  errorCode: string,
  closeCode: number,
): void {
  assert.deepEqual(events.at(-1), ['error', errorCode, closeCode]);
  const out = output(conn);
  assert.equal(out.bytes[0], 0x88, 'a close frame was sent');
  assert.equal((out.bytes[2]! << 8) | out.bytes[3]!, closeCode);
  assert.equal(out.eof, true, 'a server closes TCP after failing');
  assert.equal(conn.state, State.CLOSING);
  assert.equal(conn.closeExpected(), true);
  assert.equal(conn.closeSent?.code, closeCode);
}

describe('RFC 6455 §5.2 base framing', () => {
  for (const feedKind of FEEDS) {
    it(`delivers a masked text frame (${feedKind})`, () => {
      const s = server();
      const events = feed(
        s,
        chunksOf(clientFrame({ opcode: TEXT, payload: 'Hello' }), feedKind, hex('81')),
      );
      assert.deepEqual(events, [['text', 'Hello']]);
    });
  }

  for (const rsv of [1, 2, 4, 7]) {
    it(`fails with 1002 on reserved bits RSV=${rsv} without a negotiated extension`, () => {
      const s = server();
      const events = feed(s, [clientFrame({ opcode: TEXT, rsv, payload: 'x' })]);
      assertFailed(s, events, 'WSX_ERR_UNEXPECTED_RSV', 1002);
    });
  }

  for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
    it(`fails with 1002 on reserved opcode ${opcode}`, () => {
      const s = server();
      const events = feed(s, [clientFrame({ opcode, payload: '' })]);
      assertFailed(s, events, 'WSX_ERR_INVALID_OPCODE', 1002);
    });
  }

  it('fails with 1002 on a 64-bit length with the top bit set', () => {
    const s = server();
    const events = feed(s, [hex('827f80000000000000003b3c3d3e')]);
    assertFailed(s, events, 'WSX_ERR_INVALID_LENGTH', 1002);
  });

  it('fails with 1002 on a length not in its minimal encoding', () => {
    const s = server();
    const events = feed(s, [
      frame({ opcode: BINARY, payload: 'ab', mask: [1, 2, 3, 4], lengthBits: 64 }),
    ]);
    assertFailed(s, events, 'WSX_ERR_INVALID_LENGTH', 1002);
  });

  it('delivers frames of 0, 125, 126, 65535 and 65536 bytes', () => {
    for (const n of [0, 125, 126, 65535, 65536]) {
      const s = server({ maxMessageSize: 1 << 20 });
      const payload = new Uint8Array(n).fill(0x61);
      const events = feed(s, [clientFrame({ opcode: BINARY, payload })]);
      assert.deepEqual(events, [['binary', toHex(payload)]]);
    }
  });

  it('ignores everything after a failure (RFC 6455 §7.1.7: MUST NOT continue to process data)', () => {
    const s = server();
    const bad = clientFrame({ opcode: 3 });
    const events = feed(s, [concat([bad, clientFrame({ opcode: TEXT, payload: 'later' })])]);
    assert.equal(events.length, 1);
    output(s);
    assert.deepEqual(feed(s, [clientFrame({ opcode: TEXT, payload: 'more' })]), []);
    assert.equal(output(s).bytes.length, 0);
  });
});

describe('RFC 6455 §5.3 masking', () => {
  it('a server fails with 1002 on an unmasked client frame', () => {
    const s = server();
    const events = feed(s, [frame({ opcode: TEXT, payload: 'Hello' })]);
    assertFailed(s, events, 'WSX_ERR_MASK_REQUIRED', 1002);
  });

  it('a client fails with 1002 on a masked server frame', () => {
    const c = client();
    const events = feed(c, [clientFrame({ opcode: TEXT, payload: 'Hello' })]);
    assert.deepEqual(events, [['error', 'WSX_ERR_UNEXPECTED_MASK', 1002]]);
    const out = output(c);
    assert.equal(out.bytes[0], 0x88);
    assert.equal(out.bytes[1]! & 0x80, 0x80, "the client's close frame is masked");
    assert.equal(out.eof, false, 'a client waits for the server to close TCP');
    assert.equal(c.closeExpected(), true);
  });

  it('a client masks every frame with a fresh key', () => {
    const c = client();
    c.sendText('Hello');
    c.sendText('Hello');
    const out = output(c).bytes;
    const first = out.subarray(0, 11);
    const second = out.subarray(11, 22);
    assert.equal(first[1], 0x85);
    assert.equal(second[1], 0x85);
    assert.notEqual(toHex(first.subarray(2, 6)), toHex(second.subarray(2, 6)), 'keys differ');
    const s = server();
    assert.deepEqual(feed(s, [out]), [
      ['text', 'Hello'],
      ['text', 'Hello'],
    ]);
  });

  it('a server sends unmasked frames (RFC 5.7 "Hello" bytes)', () => {
    const s = server();
    s.sendText('Hello');
    assert.equal(toHex(output(s).bytes), '810548656c6c6f');
  });
});

describe('RFC 6455 §5.4 fragmentation', () => {
  it('reassembles "Hel" + "lo" (RFC 5.7 example)', () => {
    const c = client();
    assert.deepEqual(feed(c, [hex('010348656c80026c6f')]), [['text', 'Hello']]);
  });

  for (const feedKind of FEEDS) {
    it(`accepts control frames interleaved in a fragmented message (${feedKind})`, () => {
      const s = server();
      const data = concat([
        clientFrame({ opcode: TEXT, fin: false, payload: 'frag' }),
        clientFrame({ opcode: PING, payload: 'p' }),
        clientFrame({ opcode: CONT, fin: false, payload: 'men' }),
        clientFrame({ opcode: PONG, payload: 'q' }),
        clientFrame({ opcode: CONT, fin: true, payload: 'ted' }),
      ]);
      assert.deepEqual(feed(s, chunksOf(data, feedKind, hex('81'))), [
        ['ping', '70'],
        ['pong', '71'],
        ['text', 'fragmented'],
      ]);
      assert.equal(toHex(output(s).bytes), '8a0170', 'the ping was answered');
    });
  }

  it('fails with 1002 on a continuation frame without a message to continue', () => {
    const s = server();
    const events = feed(s, [clientFrame({ opcode: CONT, payload: 'x' })]);
    assertFailed(s, events, 'WSX_ERR_UNEXPECTED_CONTINUATION', 1002);
  });

  it('fails with 1002 on a new data frame inside a fragmented message', () => {
    const s = server();
    const events = feed(s, [
      clientFrame({ opcode: TEXT, fin: false, payload: 'a' }),
      clientFrame({ opcode: BINARY, payload: 'b' }),
    ]);
    assertFailed(s, events, 'WSX_ERR_EXPECTED_CONTINUATION', 1002);
  });

  it('delivers a 3-byte Chinese character split over two fragments intact', () => {
    const s = server();
    const zhong = bytes('中'); // e4 b8 ad
    const events = feed(s, [
      clientFrame({
        opcode: TEXT,
        fin: false,
        payload: concat([bytes('你好'), zhong.subarray(0, 1)]),
      }),
      clientFrame({ opcode: CONT, fin: true, payload: concat([zhong.subarray(1), bytes('文')]) }),
    ]);
    assert.deepEqual(events, [['text', '你好中文']]);
  });

  it('delivers Chinese and emoji split at every byte across reads', () => {
    const text = '你好，世界 😀 héllo';
    const data = clientFrame({ opcode: TEXT, payload: text });
    for (let cut = 1; cut < data.length; cut++) {
      const s = server();
      assert.deepEqual(feed(s, [data.subarray(0, cut), data.subarray(cut)]), [['text', text]]);
    }
  });

  it('accepts a 4 MiB message sent as 65,536 fragments of 64 bytes, within the limit', () => {
    const s = server({ maxMessageSize: 4 * 1024 * 1024 });
    const piece = new Uint8Array(64).fill(0x5a);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 65536; i++) {
      frames.push(
        clientFrame({ opcode: i === 0 ? BINARY : CONT, fin: i === 65535, payload: piece }),
      );
    }
    const all = concat(frames);
    // Delivered in reads of 1000 bytes, so most fragments straddle reads.
    for (let at = 0; at < all.length; at += 1000) s.receiveData(all.slice(at, at + 1000));
    const events = s.eventsReceived();
    assert.equal(events.length, 1);
    const [message] = events;
    assert.equal(message?.type, 'binary');
    assert.equal(message.type === 'binary' && message.data.length, 4 * 1024 * 1024);
    assert.ok(message.type === 'binary' && message.data.every((b) => b === 0x5a));
    // The buffer holding it is not much larger than the message (fragments are coalesced).
    assert.ok(message.type === 'binary' && message.data.buffer.byteLength <= 4 * 1024 * 1024 * 2);
  });
});

describe('RFC 6455 §5.5 control frames', () => {
  it('fails with 1002 on a control frame over 125 bytes', () => {
    const s = server();
    const events = feed(s, [clientFrame({ opcode: PING, payload: new Uint8Array(126) })]);
    assertFailed(s, events, 'WSX_ERR_CONTROL_FRAME_TOO_LONG', 1002);
  });

  it('fails with 1002 on a fragmented control frame', () => {
    const s = server();
    const events = feed(s, [clientFrame({ opcode: PING, fin: false, payload: 'x' })]);
    assertFailed(s, events, 'WSX_ERR_FRAGMENTED_CONTROL_FRAME', 1002);
  });

  for (const feedKind of FEEDS) {
    it(`answers a ping with a pong carrying the same payload (${feedKind})`, () => {
      const s = server();
      const payload = Uint8Array.from({ length: 125 }, (_, i) => i);
      const events = feed(s, chunksOf(clientFrame({ opcode: PING, payload }), feedKind, hex('89')));
      assert.deepEqual(events, [['ping', toHex(payload)]]);
      assert.equal(toHex(output(s).bytes), toHex(frame({ opcode: PONG, payload })));
    });
  }

  it('answers an empty ping with an empty pong', () => {
    const s = server();
    feed(s, [clientFrame({ opcode: PING })]);
    assert.equal(toHex(output(s).bytes), '8a00');
  });

  it('accepts an unsolicited pong and sends nothing', () => {
    const s = server();
    assert.deepEqual(feed(s, [clientFrame({ opcode: PONG, payload: 'beat' })]), [
      ['pong', '62656174'],
    ]);
    assert.equal(output(s).bytes.length, 0);
  });

  it('rejects sending a control payload over 125 bytes', () => {
    assert.throws(() => server().sendPing(new Uint8Array(126)), RangeError);
  });
});

describe('RFC 6455 §5.5.1 close frames', () => {
  const valid = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
  ];
  const invalid = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

  for (const code of valid) {
    it(`accepts close code ${code} and echoes it`, () => {
      const s = server();
      const payload = concat([hex(code.toString(16).padStart(4, '0')), bytes('bye')]);
      const events = feed(s, [clientFrame({ opcode: CLOSE, payload })]);
      assert.deepEqual(events, [['close', code, 'bye']]);
      const out = output(s);
      assert.equal(toHex(out.bytes), serverClose(code));
      assert.equal(out.eof, true, 'the server closes TCP first (RFC 6455 §7.1.1)');
    });
  }

  for (const code of invalid) {
    it(`fails with 1002 on close code ${code}`, () => {
      const s = server();
      const events = feed(s, [
        clientFrame({ opcode: CLOSE, payload: hex(code.toString(16).padStart(4, '0')) }),
      ]);
      assertFailed(s, events, 'WSX_ERR_INVALID_CLOSE_CODE', 1002);
    });
  }

  it('fails with 1002 on a 1-byte close payload', () => {
    const s = server();
    const events = feed(s, [clientFrame({ opcode: CLOSE, payload: hex('03') })]);
    assertFailed(s, events, 'WSX_ERR_INVALID_CLOSE_PAYLOAD', 1002);
  });

  it('fails with 1007 on a close reason that is not UTF-8', () => {
    const s = server();
    const events = feed(s, [clientFrame({ opcode: CLOSE, payload: hex('03e8ff') })]);
    assertFailed(s, events, 'WSX_ERR_INVALID_UTF8', 1007);
  });

  it('accepts an empty close payload as 1005 and answers with an empty close', () => {
    const s = server();
    assert.deepEqual(feed(s, [clientFrame({ opcode: CLOSE })]), [['close', 1005, '']]);
    assert.equal(toHex(output(s).bytes), '8800');
    assert.equal(s.closeCode, 1005);
  });

  it('accepts a 123-byte reason', () => {
    const s = server();
    const reason = `${'é'.repeat(61)}x`; // 123 bytes
    const events = feed(s, [
      clientFrame({ opcode: CLOSE, payload: concat([hex('0fa0'), bytes(reason)]) }),
    ]);
    assert.deepEqual(events, [['close', 4000, reason]]);
  });

  it('throws on sending a close code that may not be sent, or a reason over 123 bytes', () => {
    for (const code of [999, 1004, 1005, 1005.5, 1006, 1015, 2000, 5000]) {
      assert.throws(() => server().sendClose(code), { code: 'WSX_ERR_INVALID_ARGUMENT' });
    }
    assert.throws(() => server().sendClose(1000, 'x'.repeat(124)), {
      code: 'WSX_ERR_INVALID_ARGUMENT',
    });
    assert.throws(() => server().sendClose(undefined, 'reason'), {
      code: 'WSX_ERR_INVALID_ARGUMENT',
    });
  });
});

const MASK = [0x37, 0xfa, 0x21, 0x3d] as const;

// Autobahn|Testsuite rated wsx NON-STRICT on 3.2-3.4, 4.1.3-4.2.5 and 5.15: a valid message and
// then a violation in the same read; the message was never delivered, or its answer missing.
describe('a message that arrived complete before a violation is delivered and answered first', () => {
  const violations: [string, Uint8Array][] = [
    ['reserved bits', frame({ opcode: 1, rsv: 2, payload: 'x', mask: MASK })],
    ['a reserved opcode', frame({ opcode: 3, payload: '', mask: MASK })],
    ['a continuation with nothing to continue', frame({ opcode: 0, payload: 'x', mask: MASK })],
  ];
  for (const [what, bad] of violations) {
    it(`server: text, then ${what}, in one read: the echo goes out before the close frame`, () => {
      const s = server();
      s.receiveData(concat([frame({ opcode: 1, payload: 'hello', mask: MASK }), bad]));
      const events = summarize(s.eventsReceived());
      assert.deepEqual(events[0], ['text', 'hello']);
      assert.equal((events[1] as unknown[])[0], 'error');
      assert.equal(s.state, State.OPEN, 'still open while the events are handled');
      s.sendText('hello'); // the application's answer
      const sent = output(s);
      assert.equal(toHex(sent.bytes.subarray(0, 7)), toHex(frame({ opcode: 1, payload: 'hello' })));
      assert.equal(sent.bytes[7], 0x88, 'then the close frame');
      assert.equal((sent.bytes[9]! << 8) | sent.bytes[10]!, 1002);
      assert.equal(sent.eof, true, 'and the server closes TCP');
      assert.equal(s.state, State.CLOSING);
    });
  }

  it('client: binary, then a ping with FIN clear, in one read: the answer goes first', () => {
    const c = client();
    c.receiveData(
      concat([frame({ opcode: 2, payload: 'ab' }), frame({ opcode: 9, fin: false, payload: '' })]),
    );
    assert.deepEqual(summarize(c.eventsReceived()), [
      ['binary', '6162'],
      ['error', 'WSX_ERR_FRAGMENTED_CONTROL_FRAME', 1002],
    ]);
    c.sendBinary(Uint8Array.of(0x61, 0x62));
    const sent = output(c);
    assert.equal(sent.bytes[0], 0x82, 'the answer first (masked: 2 + 4 + 2 bytes)');
    assert.equal(sent.bytes[8], 0x88, 'then the close frame');
    assert.equal(sent.eof, false, 'a client waits for the server to close TCP');
  });

  it('the close frame is queued by the next eventsReceived() too, and nothing more is parsed', () => {
    const s = server();
    const later = frame({ opcode: 1, payload: 'never', mask: MASK });
    s.receiveData(
      concat([frame({ opcode: 1, payload: 'a', mask: MASK }), violations[0]![1], later]),
    );
    assert.equal(s.eventsReceived().length, 2);
    assert.deepEqual(s.eventsReceived(), []);
    assert.equal(s.closeSent?.code, 1002);
    s.receiveData(later);
    assert.deepEqual(s.eventsReceived(), []);
  });

  it("the peer's close frame behind messages: their answers go out before the close's echo", () => {
    const s = server();
    s.receiveData(
      concat([
        frame({ opcode: 1, payload: 'one', mask: MASK }),
        frame({ opcode: 1, payload: 'two', mask: MASK }),
        frame({ opcode: 8, payload: Uint8Array.of(0x03, 0xe8), mask: MASK }),
      ]),
    );
    assert.deepEqual(summarize(s.eventsReceived()), [
      ['text', 'one'],
      ['text', 'two'],
      ['close', 1000, ''],
    ]);
    assert.equal(s.state, State.OPEN, 'still open for the answers');
    s.sendText('one');
    s.sendText('two');
    const sent = output(s);
    assert.equal(String.fromCharCode(...sent.bytes.subarray(2, 5)), 'one');
    assert.equal(String.fromCharCode(...sent.bytes.subarray(7, 10)), 'two');
    assert.equal(sent.bytes[10], 0x88, 'then the echo of the close');
    assert.equal((sent.bytes[12]! << 8) | sent.bytes[13]!, 1000);
    assert.equal(sent.eof, true, 'and the server closes TCP');
    assert.equal(s.closeReceivedThenSent, true);
  });

  it('a violation with no event before it fails at once', () => {
    const s = server();
    s.receiveData(violations[1]![1]);
    assert.equal(s.state, State.CLOSING);
    assert.equal(s.closeSent?.code, 1002);
  });

  it('the end of stream after a deferred violation still sends the close frame first', () => {
    const s = server();
    s.receiveData(concat([frame({ opcode: 1, payload: 'a', mask: MASK }), violations[0]![1]]));
    s.eventsReceived();
    s.receiveEof();
    const sent = output(s);
    assert.equal(sent.bytes[0], 0x88, 'the close frame was queued');
    assert.equal((sent.bytes[2]! << 8) | sent.bytes[3]!, 1002);
    assert.equal(s.state, State.CLOSED);
  });
});

describe('RFC 6455 §7 the closing handshake', () => {
  it('server-initiated: close sent, client answers, server half-closes, then CLOSED on EOF', () => {
    const s = server();
    s.sendClose(1001, 'going away');
    assert.equal(s.state, State.CLOSING);
    assert.equal(s.closeExpected(), true);
    const sent = output(s);
    assert.equal(toHex(sent.bytes), serverClose(1001, 'going away'));
    assert.equal(sent.eof, false, 'the server waits for the answer before closing TCP');

    const c = client();
    assert.deepEqual(feed(c, [sent.bytes]), [['close', 1001, 'going away']]);
    assert.equal(c.closeReceivedThenSent, true);
    const answer = output(c);
    assert.equal(answer.eof, false, 'the client waits for the server to close TCP');
    assert.equal(c.closeExpected(), true);

    assert.deepEqual(feed(s, [answer.bytes]), [['close', 1001, '']]);
    assert.equal(output(s).eof, true, 'handshake complete: the server closes TCP');
    s.receiveEof();
    assert.equal(s.state, State.CLOSED);
    assert.equal(s.closeExpected(), false);
    assert.equal(s.closeReceivedThenSent, false);
    c.receiveEof();
    assert.equal(c.state, State.CLOSED);
    assert.equal(output(c).eof, true, 'the client closes its side once the server has');
  });

  it('endAfterClosing: a client (over an HTTP/2 stream) ends its side once the handshake is done', () => {
    // Client-initiated: its close, then the server's answer.
    const c = client({ endAfterClosing: true });
    c.sendClose(1000);
    assert.equal(output(c).eof, false, 'our close is out; the answer is awaited');
    assert.deepEqual(feed(c, [hex(serverClose(1000))]), [['close', 1000, '']]);
    assert.equal(output(c).eof, true, 'handshake complete: the client ends its side');
    // Server-initiated: the client answers and ends its side with the answer.
    const c2 = client({ endAfterClosing: true });
    assert.deepEqual(feed(c2, [hex(serverClose(1001))]), [['close', 1001, '']]);
    assert.equal(output(c2).eof, true);
    // And when it fails the connection (a masked frame from a server).
    const c3 = client({ endAfterClosing: true });
    feed(c3, [clientFrame({ opcode: TEXT, payload: 'x' })]);
    assert.equal(output(c3).eof, true);
  });

  it('delivers messages that arrive after our close frame, before the peer’s', () => {
    const s = server();
    s.sendClose(1000);
    const events = feed(s, [
      clientFrame({ opcode: TEXT, payload: 'late' }),
      clientFrame({ opcode: PING, payload: 'p' }),
      clientFrame({ opcode: CLOSE, payload: hex('03e8') }),
    ]);
    assert.deepEqual(events, [
      ['text', 'late'],
      ['ping', '70'],
      ['close', 1000, ''],
    ]);
  });

  it('ignores frames after the peer’s close frame', () => {
    const s = server();
    const events = feed(s, [
      concat([
        clientFrame({ opcode: CLOSE, payload: hex('03e8') }),
        clientFrame({ opcode: TEXT, payload: 'x' }),
      ]),
    ]);
    assert.deepEqual(events, [['close', 1000, '']]);
  });

  it('throws on sending after close (local misuse)', () => {
    const s = server();
    s.sendClose(1000);
    assert.throws(() => s.sendText('x'), { code: 'WSX_ERR_INVALID_STATE' });
    assert.throws(() => s.sendClose(1000), { code: 'WSX_ERR_INVALID_STATE' });
  });

  it('reports 1006 when the transport ends without a close frame', () => {
    const s = server();
    s.receiveEof();
    assert.equal(s.state, State.CLOSED);
    assert.equal(s.closeCode, 1006);
    assert.equal(s.closeReceived, null);
    assert.deepEqual(s.dataToSend(), [SEND_EOF]);
  });

  it('fail(1011) sends 1011 with no detail', () => {
    const s = server();
    s.fail(1011);
    assert.equal(toHex(output(s).bytes), '880203f3');
  });
});

describe('RFC 6455 §8.1 UTF-8 in text messages', () => {
  it('fails with 1007 on invalid UTF-8 in an unfragmented message', () => {
    const s = server();
    const events = feed(s, [
      clientFrame({ opcode: TEXT, payload: hex('cebae1bdb9cf83cebcceb5eda080656469746564') }),
    ]);
    assertFailed(s, events, 'WSX_ERR_INVALID_UTF8', 1007);
  });

  it('fails as soon as an invalid fragment arrives, before the message ends', () => {
    const s = server();
    const events = feed(s, [
      clientFrame({ opcode: TEXT, fin: false, payload: 'valid start ' }),
      clientFrame({ opcode: CONT, fin: false, payload: hex('f4908080') }),
    ]);
    assertFailed(s, events, 'WSX_ERR_INVALID_UTF8', 1007);
  });

  it('fails inside one frame as soon as the invalid bytes are read, before the frame ends', () => {
    const s = server();
    const payload = concat([bytes('a'.repeat(100)), hex('ff'), bytes('b'.repeat(100))]);
    const data = clientFrame({ opcode: TEXT, payload });
    // Only the header and the first 110 payload bytes arrive: the 0xff is among them.
    const events = feed(s, [data.subarray(0, 8 + 110)]);
    assertFailed(s, events, 'WSX_ERR_INVALID_UTF8', 1007);
  });

  it('fails with 1007 when the message ends mid-character', () => {
    const s = server();
    const events = feed(s, [
      clientFrame({ opcode: TEXT, fin: false, payload: 'ok' }),
      clientFrame({ opcode: CONT, fin: true, payload: hex('e4b8') }),
    ]);
    assertFailed(s, events, 'WSX_ERR_INVALID_UTF8', 1007);
  });

  it('does not validate binary messages', () => {
    const s = server();
    assert.deepEqual(feed(s, [clientFrame({ opcode: BINARY, payload: hex('ff') })]), [
      ['binary', 'ff'],
    ]);
  });
});

describe('RFC 6455 §10.4 limits', () => {
  it('fails with 1009 from the declared frame length alone, before buffering', () => {
    const s = server({ maxMessageSize: 1000 });
    // Only the header of a masked 1001-byte frame arrives.
    const events = feed(s, [hex('82fe03e9'), hex('01020304')]);
    assertFailed(s, events, 'WSX_ERR_FRAME_TOO_BIG', 1009);
  });

  it('fails with 1009 when fragments add up past the message limit', () => {
    const s = server({ maxMessageSize: 100, maxFrameSize: 60 });
    const events = feed(s, [
      clientFrame({ opcode: BINARY, fin: false, payload: new Uint8Array(60) }),
      clientFrame({ opcode: CONT, fin: true, payload: new Uint8Array(41) }),
    ]);
    assertFailed(s, events, 'WSX_ERR_MESSAGE_TOO_BIG', 1009);
  });

  it('accepts a message of exactly the limit', () => {
    const s = server({ maxMessageSize: 100 });
    const events = feed(s, [clientFrame({ opcode: BINARY, payload: new Uint8Array(100) })]);
    assert.equal(events.length, 1);
  });

  it('a single frame spread over reads gets one buffer of its exact size', () => {
    const sizes: string[] = [];
    const s = server({
      alloc: (n) => {
        sizes.push(`alloc ${n}`);
        return new Uint8Array(n);
      },
      allocUnsafe: (n) => {
        sizes.push(`unsafe ${n}`);
        return new Uint8Array(n).fill(0xee);
      },
    });
    const payload = Uint8Array.from({ length: 20000 }, (_, i) => i & 0xff);
    const wire = clientFrame({ opcode: BINARY, payload });
    s.receiveData(wire.slice(0, 5000));
    s.receiveData(wire.slice(5000, 12000));
    s.receiveData(wire.slice(12000));
    const events = s.eventsReceived();
    assert.deepEqual(sizes, ['unsafe 20000']);
    assert.equal(events.length, 1);
    const data = (events[0] as { data: Uint8Array }).data;
    assert.deepEqual(data, payload);
    assert.equal(data.buffer.byteLength, 20000);
  });

  it('a large declared frame is not reserved before its bytes arrive', () => {
    const sizes: number[] = [];
    const record = (n: number) => {
      sizes.push(n);
      return new Uint8Array(n);
    };
    const s = server({ maxMessageSize: 1 << 20, alloc: record, allocUnsafe: record });
    const wire = clientFrame({ opcode: BINARY, payload: new Uint8Array(1 << 20) });
    s.receiveData(wire.slice(0, 1000));
    assert.ok(
      sizes.every((n) => n <= 4096),
      `reserved ${sizes.join(', ')}`,
    );
  });

  it('a declared 4 GiB frame fails at once without allocating', () => {
    const s = server();
    const events = feed(s, [hex('827f0000000100000000')]);
    assertFailed(s, events, 'WSX_ERR_MASK_REQUIRED', 1002);
    const s2 = server();
    const events2 = feed(s2, [hex('82ff00000001000000000a0b0c0d')]);
    assertFailed(s2, events2, 'WSX_ERR_FRAME_TOO_BIG', 1009);
  });
});

describe('sending', () => {
  it('uses the minimal length encoding at each boundary', () => {
    for (const [n, head] of [
      [125, '827d'],
      [126, '827e007e'],
      [65535, '827effff'],
      [65536, '827f0000000000010000'],
    ] as const) {
      const s = server();
      s.sendBinary(new Uint8Array(n));
      assert.equal(toHex(output(s).bytes.subarray(0, head.length / 2)), head);
    }
  });

  it('encodes strings as UTF-8 with the right header for their byte length', () => {
    for (const text of [
      '',
      'a',
      'é'.repeat(62),
      'é'.repeat(63),
      '中'.repeat(42),
      'x'.repeat(5000),
      '😀'.repeat(20000),
    ]) {
      const s = server();
      s.sendText(text);
      const c = client({ maxMessageSize: 1 << 20 });
      assert.deepEqual(feed(c, [output(s).bytes]), [['text', text]]);
    }
  });

  it('sends a fragmented message with continuation frames, control frames in between', () => {
    const s = server();
    s.sendText('Hel', false);
    s.sendPing(bytes('p'));
    s.sendContinuation('lo', true);
    assert.equal(toHex(output(s).bytes), '010348656c8901708002' + '6c6f');
  });

  it('throws on misuse of fragmentation', () => {
    const s = server();
    assert.throws(() => s.sendContinuation('x', true), { code: 'WSX_ERR_INVALID_STATE' });
    s.sendBinary(bytes('a'), false);
    assert.throws(() => s.sendText('b'), { code: 'WSX_ERR_INVALID_STATE' });
    assert.throws(() => s.sendContinuation('b', true), { code: 'WSX_ERR_INVALID_STATE' });
    s.sendContinuation(bytes('b'), true);
    s.sendText('c');
  });

  it('merges consecutive small frames into one buffer to write', () => {
    const s = server();
    for (let i = 0; i < 10; i++) s.sendText('message');
    assert.equal(s.dataToSend().length, 1);
  });

  it('does not copy a large server payload', () => {
    const s = server();
    const payload = new Uint8Array(100_000);
    s.sendBinary(payload);
    const chunks = s.dataToSend();
    assert.equal(chunks.length, 2);
    assert.equal(chunks[1], payload);
  });
});

describe('summarize helper sanity', () => {
  it('summarizes events', () => {
    assert.deepEqual(summarize([]), []);
  });
});

describe('prepared messages (frame once, send to many)', () => {
  it('queues the same bytes on every server connection', async () => {
    const { prepareMessage } = await import('../../src/core/frame-writer.js');
    const message = prepareMessage('hello', false);
    const a = server();
    const b = server();
    a.sendPrepared(message);
    b.sendPrepared(message);
    assert.equal(toHex(output(a).bytes), '810568656c6c6f');
    assert.equal(toHex(output(b).bytes), '810568656c6c6f');
    const big = prepareMessage(new Uint8Array(70_000), true);
    a.sendPrepared(big);
    assert.equal(a.bytesToSend, 70_010);
    assert.equal(a.dataToSend()[1], big.chunks[1], 'a large payload is not copied per connection');
  });

  it('waits for the end of a fragmented message before sending a prepared one', async () => {
    const { prepareMessage } = await import('../../src/core/frame-writer.js');
    const s = server();
    s.sendText('Hel', false);
    s.sendPrepared(prepareMessage('X', false));
    s.sendContinuation('lo', true);
    assert.equal(toHex(output(s).bytes), `010348656c80026c6f${'810158'}`);
  });

  it('is for servers only, and not after close', async () => {
    const { prepareMessage } = await import('../../src/core/frame-writer.js');
    assert.throws(() => client().sendPrepared(prepareMessage('x', false)), {
      code: 'WSX_ERR_INVALID_STATE',
    });
    const s = server();
    s.sendClose(1000);
    assert.throws(() => s.sendPrepared(prepareMessage('x', false)), {
      code: 'WSX_ERR_INVALID_STATE',
    });
  });
});
