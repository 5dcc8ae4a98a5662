/** The sweeper: one timer visiting many connections, in its own set or in one it is given. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Sweeper } from '../../src/websocket/sweeper.js';
import { ManualClock } from '../helpers/clock.js';

describe('Sweeper', () => {
  it('visits its members on each tick and stops when the last one leaves', async () => {
    const clock = new ManualClock();
    const visits: string[] = [];
    const sweeper = new Sweeper<string>(clock, 100, (m) => void visits.push(m));
    sweeper.add('a');
    sweeper.add('b');
    await clock.advance(100);
    assert.deepEqual(visits, ['a', 'b']);
    sweeper.delete('a');
    sweeper.delete('b');
    await clock.advance(1000);
    assert.deepEqual(visits, ['a', 'b'], 'no member, no tick');
  });

  it("walks the set it is given (a server's connections): one entry per member", async () => {
    const clock = new ManualClock();
    const connections = new Set<string>();
    const visits: string[] = [];
    const sweeper = new Sweeper<string>(clock, 100, (m) => void visits.push(m), connections);
    sweeper.add('a');
    assert.deepEqual([...connections], ['a'], 'add() puts the member in the given set');
    connections.add('b'); // the owner's own additions are visited too
    await clock.advance(100);
    assert.deepEqual(visits, ['a', 'b']);
    sweeper.delete('a');
    assert.deepEqual([...connections], ['b']);
  });
});
