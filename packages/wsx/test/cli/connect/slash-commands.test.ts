import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLine } from '../../../src/cli/connect/slash-commands.js';

describe('parseLine', () => {
  it('sends plain lines and //-escaped ones as text', () => {
    assert.deepEqual(parseLine('hello'), { type: 'text', text: 'hello' });
    assert.deepEqual(parseLine(''), { type: 'text', text: '' });
    assert.deepEqual(parseLine('//ping'), { type: 'text', text: '/ping' });
  });

  it('reads the commands and their arguments', () => {
    assert.deepEqual(parseLine('/ping'), { type: 'ping', data: '' });
    assert.deepEqual(parseLine('/ping hi there'), { type: 'ping', data: 'hi there' });
    assert.deepEqual(parseLine('/close'), { type: 'close', code: 1000, reason: '' });
    assert.deepEqual(parseLine('/close 4000 see you later'), {
      type: 'close',
      code: 4000,
      reason: 'see you later',
    });
    assert.deepEqual(parseLine('/binary 00 ff 1A'), {
      type: 'binary',
      data: Buffer.from([0, 255, 26]),
    });
    assert.deepEqual(parseLine('/help'), { type: 'help' });
  });

  it('explains what it cannot do', () => {
    assert.match((parseLine('/close soon') as { message: string }).message, /close code/);
    assert.match((parseLine('/binary abc') as { message: string }).message, /hex digits in pairs/);
    assert.match((parseLine('/binary zz') as { message: string }).message, /hex digits in pairs/);
    assert.match((parseLine('/quit') as { message: string }).message, /unknown command \/quit/);
  });
});
