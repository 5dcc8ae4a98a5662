/**
 * `wsx bench`: plan the run, start its processes, open the connections, send, and print the
 * summary. Ctrl+C stops sending early (the summary still comes); twice exits at once.
 */

import { parseCommand } from '../args.js';
import { CliError } from '../cli-error.js';
import { ExitCode } from '../exit-codes.js';
import type { LoadProgress, LoadResult } from './job.js';
import { forkedProcess, type LoadProcess, localProcess } from './processes.js';
import { ProgressLine } from './progress.js';
import { type BenchSettings, benchSettings, jobsOf } from './settings.js';
import { benchSpec } from './spec.js';
import { formatSummary, summarize } from './summary.js';

export { benchWorker } from './processes.js';

export async function benchCommand(argv: readonly string[]): Promise<ExitCode> {
  const settings = benchSettings(parseCommand(benchSpec, argv));
  const epoch = process.hrtime.bigint();
  const jobs = jobsOf(settings, epoch);
  /** When the measurement starts, on the run's clock (µs since `epoch`); null: at once. */
  const measureFrom = (): number | null =>
    settings.warmupMs === 0
      ? null
      : Number(process.hrtime.bigint() - epoch) / 1000 + settings.warmupMs * 1000;
  const processes: LoadProcess[] =
    jobs.length === 1 ? [localProcess(jobs[0]!)] : jobs.map((job) => forkedProcess(job));
  const progress = new ProgressLine(!settings.quiet);
  const total = (): LoadProgress => sum(processes.map((p) => p.progress()));

  let interrupts = 0;
  let running = false;
  process.on('SIGINT', () => {
    if (++interrupts > 1 || !running) process.exit(ExitCode.INTERRUPTED);
    progress.note('stopping (Ctrl+C again to exit at once)\n');
    for (const p of processes) p.stop();
  });

  progress.opening(settings.connections, total);
  await Promise.all(processes.map((p) => p.opened));
  const opened = total();
  if (opened.opened === 0) {
    progress.stop();
    throw noConnection(await runAll(processes, measureFrom()));
  }
  running = true;
  progress.running(total, settings.warmupMs);
  const results = await runAll(processes, measureFrom());
  progress.stop();
  return report(settings, results);
}

/** Every process sends; once all are done, all close (a receiver must not leave early). */
async function runAll(
  processes: readonly LoadProcess[],
  measureFrom: number | null,
): Promise<LoadResult[]> {
  await Promise.all(processes.map((p) => p.run(measureFrom)));
  return Promise.all(processes.map((p) => p.finish()));
}

function sum(parts: readonly LoadProgress[]): LoadProgress {
  return parts.reduce(
    (a, b) => ({
      opened: a.opened + b.opened,
      failed: a.failed + b.failed,
      sent: a.sent + b.sent,
      received: a.received + b.received,
      errors: a.errors + b.errors,
    }),
    { opened: 0, failed: 0, sent: 0, received: 0, errors: 0 },
  );
}

/** When no connection opened, the run ends as `wsx connect` would: the first failure. */
function noConnection(results: readonly LoadResult[]): CliError {
  const failure = results.find((r) => r.firstFailure !== null)?.firstFailure;
  if (failure == null) return new CliError(ExitCode.INTERNAL, 'no connection was opened');
  const message = `no connection could be opened: ${failure.message}`;
  return new CliError(failure.exitCode as ExitCode, message, failure.hint);
}

function report(settings: BenchSettings, results: readonly LoadResult[]): ExitCode {
  const summary = summarize(settings, results);
  process.stdout.write(
    settings.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary, settings),
  );
  const failure = results.find((r) => r.firstFailure !== null)?.firstFailure;
  if (failure != null) {
    process.stderr.write(
      `wsx: ${summary.connections.failed} connections failed, the first: ${failure.message}\n`,
    );
    if (failure.hint !== undefined) process.stderr.write(`  hint: ${failure.hint}\n`);
  }
  return Object.keys(summary.errors).length === 0 ? ExitCode.OK : ExitCode.BENCH_ERRORS;
}
