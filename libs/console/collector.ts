// Collects the pipeline's state every few seconds: who is alive (the control plane's
// heartbeats and status replies), each instance's /metrics at the ops URL it announced, and
// the epochs in checkpoint storage; builds a snapshot (snapshot.ts) and keeps a short history
// for the sparklines. The checkpointer runs one for the console; `iotctl status` runs two
// rounds of one (a rate needs two scrapes).
import type { Manifest } from '@iot/checkpoint-storage';
import { History, seriesOf, type HistoryJson } from './history.ts';
import { instanceMetrics } from './instance-metrics.ts';
import { parsePrometheusText } from './prometheus-text.ts';
import {
  buildSnapshot,
  memberKey,
  type Member,
  type PipelineSnapshot,
  type Scrape,
  type Totals,
} from './snapshot.ts';

export interface CollectorOptions {
  /** Live instances, from the control plane. */
  members: () => readonly Member[] | Promise<readonly Member[]>;
  /** Complete epochs and savepoints in checkpoint storage (`store.listComplete()`). */
  storage?: () => Promise<readonly Manifest[]>;
  /** How often storage is listed (it changes once per checkpoint interval). Default 10 s. */
  storageEveryMs?: number;
  /** GET of an instance's /metrics; default fetch with `scrapeTimeoutMs`. */
  scrape?: (opsUrl: string) => Promise<string>;
  scrapeTimeoutMs?: number;
  /** Points of history kept. Default 150 (5 minutes at 2 s). */
  historyPoints?: number;
  now?: () => number;
}

/** What /console/api/state answers. */
export interface ConsoleState extends PipelineSnapshot {
  history: HistoryJson;
}

export class ConsoleCollector {
  private readonly history: History;
  private totals: Totals | undefined;
  private storage: { manifests: readonly Manifest[] } | { error: string } | undefined;
  private storageAt = -Infinity;
  private epochSeen: number | undefined;
  private last: ConsoleState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ConsoleState> | undefined;

  constructor(private readonly opts: CollectorOptions) {
    this.history = new History(opts.historyPoints ?? 150);
  }

  /** The newest state, or undefined before the first round finished. */
  get latest(): ConsoleState | undefined {
    return this.last;
  }

  /** Collects every `intervalMs` in the background until `stop()`. */
  start(intervalMs: number, onError?: (err: unknown) => void): void {
    const round = () => void this.collect().catch((err: unknown) => onError?.(err));
    round();
    this.timer = setInterval(round, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One round; concurrent callers share it. */
  collect(): Promise<ConsoleState> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<ConsoleState> {
    const now = () => (this.opts.now ?? Date.now)();
    const members = await this.opts.members();
    const [scrapes] = await Promise.all([this.scrapeAll(members), this.refreshStorage(now())]);
    const at = now();
    const { snapshot, totals } = buildSnapshot({
      now: at,
      members,
      scrapes,
      ...(this.storage === undefined ? {} : { storage: this.storage }),
      ...(this.totals === undefined ? {} : { previous: this.totals }),
    });
    this.totals = totals;
    // A new epoch in the checkpointer's metrics: list storage next round, not 10 s later.
    if (snapshot.checkpoints.lastEpoch !== this.epochSeen) {
      if (this.epochSeen !== undefined) this.storageAt = -Infinity;
      this.epochSeen = snapshot.checkpoints.lastEpoch;
    }
    this.history.push(at, seriesOf(snapshot));
    this.last = { ...snapshot, history: this.history.toJSON() };
    return this.last;
  }

  private async scrapeAll(members: readonly Member[]): Promise<Map<string, Scrape>> {
    const scrape = this.opts.scrape ?? ((url: string) => this.fetchMetrics(url));
    const entries = await Promise.all(
      members.map(async (m): Promise<[string, Scrape]> => {
        if (m.ops === undefined) return [memberKey(m), { error: 'no ops URL announced' }];
        try {
          return [
            memberKey(m),
            { metrics: instanceMetrics(parsePrometheusText(await scrape(m.ops))) },
          ];
        } catch (err) {
          return [memberKey(m), { error: err instanceof Error ? err.message : String(err) }];
        }
      }),
    );
    return new Map(entries);
  }

  private async fetchMetrics(opsUrl: string): Promise<string> {
    const url = `${opsUrl}/metrics`;
    const timeoutMs = this.opts.scrapeTimeoutMs ?? 2000;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const why =
        err instanceof Error && err.name === 'TimeoutError'
          ? `no answer in ${timeoutMs} ms`
          : String((err as Error).cause ?? err);
      throw new Error(`${url}: ${why}`);
    }
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return res.text();
  }

  private async refreshStorage(now: number): Promise<void> {
    const list = this.opts.storage;
    if (list === undefined || now - this.storageAt < (this.opts.storageEveryMs ?? 10_000)) return;
    this.storageAt = now;
    try {
      this.storage = { manifests: await list() };
    } catch (err) {
      this.storage = { error: err instanceof Error ? err.message : String(err) };
    }
  }
}
