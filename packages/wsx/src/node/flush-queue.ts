/**
 * Writes batched per tick. A `send()` outside of a read callback does not write at once: the
 * connection joins a queue that is flushed once, in order, at the end of the current tick, so a
 * loop of sends (a broadcast, a burst of replies) leaves each socket as one write.
 */

/** Returns a function that queues an item; `flush(item)` runs for each at the end of the tick. */
export function createFlushQueue<T>(flush: (item: T) => void): (item: T) => void {
  let queue: T[] = [];
  let scheduled = false;
  const flushAll = (): void => {
    // Items queued while flushing (a write callback that sends) wait for the next round.
    const batch = queue;
    queue = [];
    scheduled = false;
    for (const item of batch) flush(item);
  };
  return (item) => {
    queue.push(item);
    if (!scheduled) {
      scheduled = true;
      process.nextTick(flushAll);
    }
  };
}
