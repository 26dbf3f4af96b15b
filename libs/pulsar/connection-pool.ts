// One connection per (logical broker, physical address), shared by all producers and
// consumers talking to that broker. A closed connection leaves the pool; the next caller dials.
import { Connection, type ConnectionOptions } from './connection.ts';

export type PoolOptions = Omit<ConnectionOptions, 'logicalUrl' | 'physicalUrl'>;

export class ConnectionPool {
  private readonly connections = new Map<string, Promise<Connection>>();
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  get(logicalUrl: string, physicalUrl = logicalUrl): Promise<Connection> {
    const key = `${logicalUrl}|${physicalUrl}`;
    const existing = this.connections.get(key);
    if (existing) return existing;
    const opening = Connection.open({ ...this.options, logicalUrl, physicalUrl }).then(
      (cnx) => {
        cnx.once('close', () => {
          if (this.connections.get(key) === opening) this.connections.delete(key);
        });
        if (this.closed) cnx.close();
        return cnx;
      },
      (err: unknown) => {
        this.connections.delete(key);
        throw err;
      },
    );
    this.connections.set(key, opening);
    return opening;
  }

  /** Drops every open connection (their users reconnect); for failure drills and tests. */
  async dropAll(): Promise<void> {
    for (const p of [...this.connections.values()]) {
      try {
        (await p).close();
      } catch {
        // failed to open: nothing to drop
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    for (const p of all) {
      try {
        (await p).close();
      } catch {
        // already failed to open: nothing to close
      }
    }
  }
}
