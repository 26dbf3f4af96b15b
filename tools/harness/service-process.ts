// Runs the pipeline's services as real child processes, as a deployment would, so tests can
// kill -9 them at any moment and start them again.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerScrapeTarget } from './scrape-targets.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** Preloaded into each service: it stops if this process dies without stopping it. */
const exitWithParent = fileURLToPath(import.meta.resolve('@iot/observability/exit-with-parent'));

export type ServiceName = 'ingest' | 'aggregator' | 'writer' | 'checkpointer';

const logDir = mkdtempSync(join(tmpdir(), 'iot-services-'));
let instances = 0;

export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private starts = 0;
  /** Where the current start's output begins in the log file. */
  private startOffset = 0;
  private port: number | undefined;
  readonly logFile: string;

  constructor(
    readonly service: ServiceName,
    private readonly env: Record<string, string>,
    /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] to profile a run. */
    private readonly nodeArgs: readonly string[] = [],
    /**
     * `scrape: false` keeps the process out of the local Prometheus's targets (the benchmark
     * measures the cost of scraping, so it decides who scrapes).
     */
    private readonly opts: { scrape?: boolean } = {},
  ) {
    this.logFile = join(logDir, `${service}-${process.pid}-${++instances}.log`);
  }

  /** The ops port (/metrics, /healthz, /readyz) of the current start, from its start line. */
  get httpPort(): number | undefined {
    return this.port;
  }

  /** Whether the current start's process is still running (it neither exited nor was killed). */
  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** The running process's id (for CPU and memory readings). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the service and waits for its "consuming" (or "checkpointing") log line. */
  async start(timeoutMs = 60_000): Promise<void> {
    this.starts++;
    this.port = undefined;
    this.startOffset = existsSync(this.logFile) ? statSync(this.logFile).size : 0;
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(
      process.execPath,
      [
        ...this.nodeArgs,
        '--import',
        exitWithParent,
        '--import',
        'tsx',
        join(repoRoot, 'services', this.service, 'src/main.ts'),
      ],
      { cwd: repoRoot, env: { ...process.env, HTTP_PORT: '0', ...this.env }, stdio: 'pipe' },
    );
    this.child = child;
    let withdraw = () => {};
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        withdraw();
        resolve(code);
      }),
    );
    let out = '';
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`${this.service} did not start in ${timeoutMs} ms; log ${this.logFile}`),
          ),
        timeoutMs,
      );
      const onData = (b: Buffer) => {
        log.write(b);
        out += b.toString();
        // The start line names the port bound (HTTP_PORT=0 picks a free one).
        if (this.port === undefined) {
          this.port = Number(/"msg":"started"[^\n]*?"port":(\d+)/.exec(out)?.[1]) || undefined;
          if (this.port !== undefined && this.opts.scrape !== false) {
            withdraw = registerScrapeTarget(this.port, {
              service: this.service,
              run: this.env.STATE_NAMESPACE ?? '',
            });
          }
        }
        // The line each service logs once it does its work ("checkpointing": the checkpointer).
        if (/"msg":"(consuming|checkpointing)"/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (b: Buffer) => log.write(b));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(
          new Error(`${this.service} exited with ${code} while starting; log ${this.logFile}`),
        );
      });
    });
    await ready;
  }

  /** Resolves with the exit code when the current start's process exits (for a supervisor). */
  whenExited(): Promise<number | null> {
    return this.exited;
  }

  /** kill -9: no shutdown hooks, nothing flushed. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: graceful stop; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child === undefined || this.child.exitCode !== null)
      return this.child?.exitCode ?? null;
    this.child.kill('SIGTERM');
    return this.exited;
  }

  /**
   * SIGTERM and expect exit code 0; otherwise throws with the warnings and errors this start
   * logged, so a failed graceful stop says which hook failed and why.
   */
  async stopCleanly(): Promise<void> {
    const code = await this.stop();
    if (code === 0) return;
    const problems = readFileSync(this.logFile)
      .subarray(this.startOffset)
      .toString('utf8')
      .split('\n')
      .filter((line) => /"level":"(warn|error)"/.test(line))
      .slice(-15);
    throw new Error(
      `${this.service} exited with ${code} on SIGTERM (log ${this.logFile}); its warnings and ` +
        `errors:\n${problems.join('\n') || '(none)'}`,
    );
  }

  get restarts(): number {
    return Math.max(0, this.starts - 1);
  }

  logs(): string {
    return readFileSync(this.logFile, 'utf8');
  }
}
