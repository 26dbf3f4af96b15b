// Test helpers for service mains: run one as a child process the way `npm start` (or, compiled,
// the image) does and check the contract every service keeps (bad config → one line + exit 1; good config →
// /healthz answers; SIGTERM → clean exit). Imported as '@iot/observability/testing'.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';

/** Ends the child if this process dies without stopping it (exit-with-parent.ts). */
export const exitWithParent = fileURLToPath(new URL('./exit-with-parent.ts', import.meta.url));

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Parsed JSON lines from stdout so far. */
  readonly lines: Record<string, unknown>[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout JSON line matching `pred` (rejects when the process exits first). */
  waitForLine(
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node --import tsx <main>` (a TypeScript source) or `node <main>` (compiled JavaScript,
 * as the images run it) in the service's folder with `env` over the parent's environment.
 */
export function spawnService(main: string | URL, env: Record<string, string>): ServiceProcess {
  const mainPath = main instanceof URL ? fileURLToPath(main) : main;
  const args = [
    '--import',
    exitWithParent,
    ...(mainPath.endsWith('.ts') ? ['--import', 'tsx'] : []),
    mainPath,
  ];
  const child = spawn(process.execPath, args, {
    cwd: dirname(dirname(mainPath)),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let partial = '';
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const complete = (partial + chunk).split('\n');
    partial = complete.pop() ?? '';
    for (const text of complete) {
      try {
        lines.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        lines.push({ unparsed: text });
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = once(child, 'exit').then(([code, signal]) => {
    for (const wake of waiters) wake();
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  let done = false;
  void exited.then(() => (done = true));

  return {
    child,
    lines,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine: (pred, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no matching log line within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`,
            ),
          );
        }, timeoutMs);
        function check(): void {
          const found = lines.find(pred);
          if (found === undefined && !done) return;
          waiters.delete(check);
          clearTimeout(timer);
          if (found !== undefined) resolve(found);
          else
            reject(
              new Error(`process exited before the log line; stdout:\n${out}\nstderr:\n${err}`),
            );
        }
        waiters.add(check);
        check();
      }),
  };
}

/**
 * Defines the two process-level tests every service main must pass:
 * a bad variable stops it with exit code 1 and one line naming the variable; with a good
 * environment it starts, /healthz answers 200, and SIGTERM ends it cleanly with code 0.
 */
export function testServiceLifecycle(
  service: string,
  main: URL,
  /** The service's credentials (every server authenticates), e.g. test/support's envAs('services'). */
  env: Record<string, string> = {},
): void {
  test(`${service}: a bad variable exits 1 with one line naming it`, async () => {
    const proc = spawnService(main, { ...env, HTTP_PORT: 'not-a-port' });
    const { code } = await proc.exited;
    assert.equal(code, 1);
    assert.equal(proc.stdout(), '', 'nothing on stdout');
    const lines = proc.stderr().trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line, got:\n${proc.stderr()}`);
    const line = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal(line.level, 'error');
    assert.equal(line.service, service);
    assert.match(
      String(line.msg),
      /^Invalid configuration: HTTP_PORT="not-a-port" is not an integer \(expected an integer from 0 to 65535, e\.g\. HTTP_PORT=\d+\)$/,
    );
  });

  test(`${service}: starts, answers /healthz, stops cleanly on SIGTERM`, async () => {
    const proc = spawnService(main, { ...env, HTTP_PORT: '0', LOG_LEVEL: 'info' });
    try {
      const started = await proc.waitForLine((l) => l.msg === 'started');
      assert.equal(started.service, service);
      const port = started.port;
      assert.ok(typeof port === 'number' && port > 0, 'start line names the bound port');

      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /^process_resident_memory_bytes \d+$/m);

      proc.child.kill('SIGTERM');
      const { code, signal } = await proc.exited;
      assert.equal(signal, null);
      assert.equal(code, 0, `clean exit; stderr:\n${proc.stderr()}`);
      assert.ok(
        proc.lines.some((l) => l.msg === 'stopped' && l.code === 0),
        'logs that it stopped',
      );
      assert.equal(proc.stderr(), '');
    } finally {
      if (proc.child.exitCode === null && proc.child.signalCode === null)
        proc.child.kill('SIGKILL');
    }
  });
}
