/**
 * An `EventEmitter` base whose listener table is created on the first `on()`, not in the
 * constructor. Node's `EventEmitter` allocates a dictionary for every instance; most server-side
 * connections of a handler-based server never get a listener, and ten thousand empty tables are
 * megabytes. `EventEmitter.prototype` creates the table lazily already: this base just does not
 * create it eagerly. `instanceof EventEmitter` holds.
 */

import { EventEmitter } from 'node:events';

function LazyEmitter(): void {}
(LazyEmitter as unknown as { prototype: unknown }).prototype = EventEmitter.prototype;

export const LazyEventEmitter = LazyEmitter as unknown as typeof EventEmitter;
