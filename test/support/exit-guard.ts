// Loaded by test/run.sh into every test file's process, in place of `--test-force-exit`.
// Node's forced exit can end a file's process before the parent has read its last verdicts
// (nodejs/node#64833): the run then reports fewer tests than ran and still exits 0. This
// guard waits instead: once a file's tests are over, a process that a leaked socket or timer
// still keeps alive is ended after a grace period, long after its verdicts were written.
import { after } from 'node:test';

const graceMs = Number(process.env.TEST_EXIT_GRACE_MS ?? 60_000);

// Only in a test file's own process (the runner marks it), never in the runner itself.
if (process.env.NODE_TEST_CONTEXT !== undefined) {
  after(() => {
    setTimeout(() => {
      process.stderr.write(
        `test/support/exit-guard: ${process.argv[1] ?? 'this test file'} still had open ` +
          `handles ${graceMs} ms after its last test; ending it (look for an unclosed ` +
          `socket, server or timer)\n`,
      );
      process.exit(process.exitCode ?? 0);
    }, graceMs).unref();
  });
}
