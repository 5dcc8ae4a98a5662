import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  ErrorCode,
  HandshakeError,
  InvalidStateError,
  ProtocolError,
  UsageError,
  WebSocketError,
} from '../../src/core/errors.js';

describe('errors', () => {
  it('every code is documented in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of Object.values(ErrorCode))
      assert.ok(doc.includes(`\`${code}\``), `${code} is not documented`);
  });

  it('codes are unique and prefixed', () => {
    const codes = Object.values(ErrorCode);
    assert.equal(new Set(codes).size, codes.length);
    for (const code of codes) assert.match(code, /^WSX_ERR_[A-Z0-9_]+$/);
  });

  it('every class is a WebSocketError with its name and code', () => {
    const errors = [
      new ProtocolError(ErrorCode.INVALID_OPCODE, 1002, 'x'),
      new HandshakeError(ErrorCode.INVALID_KEY, 400, 'x'),
      new InvalidStateError('x'),
      new UsageError('x'),
    ];
    for (const e of errors) {
      assert.ok(e instanceof WebSocketError);
      assert.ok(e instanceof Error);
      assert.equal(e.name, e.constructor.name);
      assert.match(e.code, /^WSX_ERR_/);
    }
  });

  it('keeps the cause', () => {
    const cause = new Error('zlib');
    assert.equal(
      new ProtocolError(ErrorCode.INVALID_COMPRESSED_DATA, 1007, 'x', { cause }).cause,
      cause,
    );
  });
});
