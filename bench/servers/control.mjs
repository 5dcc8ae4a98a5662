// The servers' shared plumbing (the Node servers and bun.js):
// - argv: [port (0: any free port), config JSON]; the port is printed alone on the first line;
// - a tiny control channel on stdin, one command per line, each answered on stdout:
//   `gc` -> full garbage collection (node --expose-gc; Bun.gc in Bun), answered
//   `ok gc {process.memoryUsage(), young}`, young = the bytes of V8's young generation (new
//   space) in memory, from node:v8 (absent in Bun).

/** { port, config } from argv. */
export function args() {
  return { port: Number(process.argv[2] ?? 0), config: JSON.parse(process.argv[3] ?? '{}') };
}

import { getHeapSpaceStatistics } from 'node:v8';

/** Node's full collection; twice: the first may leave finalizable objects for the second. */
function nodeGc() {
  globalThis.gc?.();
  globalThis.gc?.();
}

/** V8's young generation: its pages in memory (after a full GC they hold nothing live). */
function nodeYoung() {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')
    ?.physical_space_size;
}

/**
 * Prints the port (the runner waits for this first line), then serves control commands. `collect`
 * is the runtime's full garbage collection; `young` its young generation's bytes, if it has one.
 */
export function ready(port, collect = nodeGc, young = nodeYoung) {
  process.stdout.write(`${port}\n`);
  let pending = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const command = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (command === 'gc') {
        collect();
        process.stdout.write(
          `ok gc ${JSON.stringify({ ...process.memoryUsage(), young: young() })}\n`,
        );
      }
    }
  });
  process.stdin.on('end', () => process.exit(0)); // the runner went away
  process.on('SIGTERM', () => process.exit(0)); // a clean exit writes --cpu-prof profiles
}

/** An extra line the runner records: `info {...}` (versions, which add-ons are in use). */
export function info(object) {
  process.stdout.write(`info ${JSON.stringify(object)}\n`);
}
