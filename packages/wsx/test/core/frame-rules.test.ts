import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFrameHeader, type FrameLimits } from '../../src/core/frame-rules.js';

const server: FrameLimits = {
  role: 'server',
  maxFrameSize: 100,
  maxMessageSize: 150,
  compression: false,
};
const deflate: FrameLimits = { ...server, compression: true };
const client: FrameLimits = { ...server, role: 'client' };

/** [limits, fin, rsv, opcode, masked, length, messageOpcode, messageLength] -> code or null */
const cases: [
  string,
  FrameLimits,
  boolean,
  number,
  number,
  boolean,
  number,
  number,
  number,
  string | null,
][] = [
  ['a masked text frame', server, true, 0, 1, true, 5, 0, 0, null],
  ['an unmasked frame to a server', server, true, 0, 1, false, 5, 0, 0, 'WSX_ERR_MASK_REQUIRED'],
  ['a masked frame to a client', client, true, 0, 1, true, 5, 0, 0, 'WSX_ERR_UNEXPECTED_MASK'],
  ['RSV1 without an extension', server, true, 4, 1, true, 5, 0, 0, 'WSX_ERR_UNEXPECTED_RSV'],
  ['opcode 3', server, true, 0, 3, true, 0, 0, 0, 'WSX_ERR_INVALID_OPCODE'],
  ['opcode 11', server, true, 0, 11, true, 0, 0, 0, 'WSX_ERR_INVALID_OPCODE'],
  ['a fragmented ping', server, false, 0, 9, true, 0, 0, 0, 'WSX_ERR_FRAGMENTED_CONTROL_FRAME'],
  ['a 126-byte ping', server, true, 0, 9, true, 126, 0, 0, 'WSX_ERR_CONTROL_FRAME_TOO_LONG'],
  ['a ping inside a fragmented message', server, true, 0, 9, true, 125, 1, 50, null],
  ['a lone continuation', server, true, 0, 0, true, 1, 0, 0, 'WSX_ERR_UNEXPECTED_CONTINUATION'],
  ['text inside a message', server, true, 0, 1, true, 1, 2, 10, 'WSX_ERR_EXPECTED_CONTINUATION'],
  ['a frame over maxFrameSize', server, true, 0, 2, true, 101, 0, 0, 'WSX_ERR_FRAME_TOO_BIG'],
  [
    'a continuation past maxMessageSize',
    server,
    true,
    0,
    0,
    true,
    51,
    2,
    100,
    'WSX_ERR_MESSAGE_TOO_BIG',
  ],
  ['a continuation up to maxMessageSize', server, true, 0, 0, true, 50, 2, 100, null],
  ['RSV1 with permessage-deflate on a first frame', deflate, true, 4, 1, true, 5, 0, 0, null],
  [
    'RSV1 with permessage-deflate, fragmented first frame',
    deflate,
    false,
    4,
    2,
    true,
    5,
    0,
    0,
    null,
  ],
  ['RSV1 on a continuation frame', deflate, true, 4, 0, true, 5, 1, 5, 'WSX_ERR_UNEXPECTED_RSV'],
  ['RSV1 on a ping', deflate, true, 4, 9, true, 0, 0, 0, 'WSX_ERR_UNEXPECTED_RSV'],
  ['RSV1 on a close', deflate, true, 4, 8, true, 0, 0, 0, 'WSX_ERR_UNEXPECTED_RSV'],
  ['RSV2 with permessage-deflate', deflate, true, 2, 1, true, 5, 0, 0, 'WSX_ERR_UNEXPECTED_RSV'],
  [
    'RSV1+RSV2 with permessage-deflate',
    deflate,
    true,
    6,
    1,
    true,
    5,
    0,
    0,
    'WSX_ERR_UNEXPECTED_RSV',
  ],
];

describe('RFC 6455 §5.2-§5.5 frame header rules', () => {
  for (const [
    name,
    limits,
    fin,
    rsv,
    opcode,
    masked,
    length,
    messageOpcode,
    messageLength,
    code,
  ] of cases) {
    it(`${name}: ${code ?? 'accepted'}`, () => {
      const v = checkFrameHeader(
        limits,
        fin,
        rsv,
        opcode,
        masked,
        length,
        messageOpcode,
        messageLength,
      );
      assert.equal(v?.[0] ?? null, code);
      if (v !== null) assert.equal(v[1], code?.includes('BIG') ? 1009 : 1002);
    });
  }
});
