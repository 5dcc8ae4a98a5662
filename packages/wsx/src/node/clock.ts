/**
 * Time, injectable. Every timer wsx arms (heartbeats, idle, handshake and close timeouts) goes
 * through a {@link Clock}, so tests can advance time instead of waiting for it.
 */

/** A handle returned by {@link Clock.setTimeout}. */
export interface TimerHandle {
  /** Stops the timer from keeping the process alive (a no-op for test clocks). */
  unref?(): void;
  /** Makes the timer keep the process alive after all (wsx's system clock unrefs its timers). */
  ref?(): void;
}

export interface Clock {
  /** Milliseconds, monotonic enough for timeouts. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock. Timers are unref'd: a pending timeout never keeps a process alive. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
