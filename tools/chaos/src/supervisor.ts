// One service instance under a supervisor, as Kubernetes would run it: whenever the process
// exits it is started again (after 1 s, with backoff while starts fail). Exits the chaos run
// caused (kill -9) are counted apart from those it did not (crashes).
import type { ServiceProcess } from '@iot/harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Supervised {
  /** kill -9s the run injected (each followed by a restart). */
  planned = 0;
  /** When the process exited without the run killing it. */
  readonly crashes: number[] = [];
  failedStarts = 0;
  private expectKill = false;
  private stopping = false;
  private up = false;
  /** Stopped with SIGSTOP: a kill now would end the zombie before it could be fenced. */
  private paused = false;
  private loop: Promise<void> | undefined;

  constructor(
    readonly name: string,
    readonly proc: ServiceProcess,
    private readonly say: (line: string) => void,
  ) {}

  /** Starts the process and keeps it running; resolves once it first reported ready. */
  async start(): Promise<void> {
    let ready!: () => void;
    const first = new Promise<void>((r) => (ready = r));
    this.loop = this.run(ready);
    await first;
  }

  get running(): boolean {
    return this.up;
  }

  private async run(ready: () => void): Promise<void> {
    let backoff = 1_000;
    while (!this.stopping) {
      try {
        await this.proc.start(90_000);
      } catch (err) {
        if (this.stopping) break;
        if (this.expectKill) this.planned++;
        else {
          this.failedStarts++;
          this.say(`${this.name} failed to start: ${(err as Error).message.split('\n')[0]}`);
        }
        this.expectKill = false;
        await this.proc.kill();
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 10_000);
        continue;
      }
      backoff = 1_000;
      this.up = true;
      ready();
      const code = await this.proc.whenExited();
      this.up = false;
      if (this.stopping) break;
      if (this.expectKill) this.planned++;
      else {
        this.crashes.push(Date.now());
        this.say(`${this.name} exited by itself (code ${code}); restarting`);
      }
      this.expectKill = false;
      await sleep(1_000);
    }
  }

  /** kill -9 (the supervisor restarts it). False when it was not running or is stopped. */
  async kill(): Promise<boolean> {
    if (!this.up || this.paused) return false;
    this.expectKill = true;
    await this.proc.kill();
    return true;
  }

  signal(sig: 'SIGSTOP' | 'SIGCONT'): boolean {
    const pid = this.proc.pid;
    if (pid === undefined || !this.up) return false;
    try {
      process.kill(pid, sig);
      this.paused = sig === 'SIGSTOP';
      return true;
    } catch {
      return false;
    }
  }

  /** SIGTERM, no restart; the exit code. */
  async stop(): Promise<number | null> {
    this.stopping = true;
    this.signal('SIGCONT');
    const code = await this.proc.stop();
    await this.loop;
    return code;
  }

  /** Crashed at least `n` times in the last `ms`, or not running now: crash-looping. */
  crashLooping(n = 3, ms = 120_000): boolean {
    const recent = this.crashes.filter((t) => t > Date.now() - ms).length;
    return recent >= n || !this.up;
  }
}
