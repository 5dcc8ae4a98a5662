/**
 * Waits until `test()` holds, checking after every turn of I/O, for at most `ms` (then fails
 * naming `what`). For conditions that come true by themselves as I/O arrives; a test that checks
 * that something did NOT happen moves a manual clock instead (helpers/clock.ts).
 */
export async function eventually(test: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!test()) {
    if (performance.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
