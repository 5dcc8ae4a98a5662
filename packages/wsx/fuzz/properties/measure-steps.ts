/**
 * Prints the steps of every linearity family as JSON: run by {@link measureInChild} in a Node
 * started with `--max-opt=1`, where V8's block counters are exact.
 */
// Coverage must start before the library's functions are first compiled: import it first.
import '../engine/coverage.js';
import { countSteps } from '../engine/coverage.js';
import { CONTROL, FAMILIES, type Measured, measure } from './linearity.js';

/** A quadratic algorithm, so the test can see that the counter does tell growth apart. */
function quadratic(n: number): number {
  let pairs = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if ((i ^ j) === 3) pairs++;
  return pairs;
}

const results: Record<string, Measured> = {};
for (const family of FAMILIES) results[family.name] = measure(family);
const here = /\/fuzz\/properties\/measure-steps\.ts/;
quadratic(100);
results[CONTROL] = {
  small: countSteps(() => quadratic(256), here),
  large: countSteps(() => quadratic(1024), here),
};
process.stdout.write(JSON.stringify(results));
