// A compact reporter for `node --test` on a developer's terminal: a dot per passing test ('s'
// skipped, 'X' failed), then each failure in full, the reasons tests were skipped, and one
// closing line, "N passed, N failed, N skipped". CI uses the spec reporter instead
// (scripts/run-tests.mjs), which prints every test by name.

const WIDTH = 100;

/** Text of a failure: the assertion or exception, with its stack. */
function describeError(error) {
  const cause = error?.cause ?? error;
  if (cause instanceof Error) return cause.stack ?? `${cause.name}: ${cause.message}`;
  return String(cause);
}

function indent(text) {
  return text.replace(/^/gm, '    ');
}

export default async function* compact(source) {
  let column = 0;
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  const skipReasons = new Map();
  /** What each test file wrote to stderr: shown when the file itself fails (a crash at load). */
  const stderr = new Map();
  const mark = (char) => {
    column = (column + 1) % WIDTH;
    return column === 0 ? `${char}\n` : char;
  };
  for await (const event of source) {
    const { data } = event;
    if (event.type === 'test:stderr' && data.file) {
      stderr.set(data.file, (stderr.get(data.file) ?? '') + data.message);
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const isSuite = data.details?.type === 'suite';
    if (event.type === 'test:fail') {
      // A suite fails when one of its tests did (already counted) or when a hook failed.
      if (isSuite && data.details.error?.failureType === 'subtestsFailed') continue;
      failed++;
      const where = data.file ? `${data.file}${data.line ? `:${data.line}` : ''}` : '';
      const output = data.name === data.file ? (stderr.get(data.file) ?? '') : '';
      const detail = indent(`${describeError(data.details.error)}\n${output}`.trimEnd());
      failures.push(`✖ ${data.name}\n  ${where}\n${detail}`);
      yield mark('X');
    } else if (isSuite) {
      // Suites are counted through their tests.
    } else if (data.skip !== undefined || data.todo !== undefined) {
      skipped++;
      const reason = typeof data.skip === 'string' ? data.skip : 'skipped';
      skipReasons.set(reason, (skipReasons.get(reason) ?? 0) + 1);
      yield mark('s');
    } else {
      passed++;
      yield mark('.');
    }
  }
  if (column !== 0) yield '\n';
  if (failures.length > 0) yield `\nFailed tests:\n\n${failures.join('\n\n')}\n`;
  if (skipReasons.size > 0) {
    yield '\nSkipped:\n';
    for (const [reason, count] of skipReasons) yield `  ${count} x ${reason}\n`;
  }
  yield `\n${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
