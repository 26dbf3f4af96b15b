// Prometheus file-based service discovery for the service processes the harness starts: one
// JSON file per process in the local stack's targets folder (stack/prometheus/prometheus.yml
// reads `targets/*.json`), written once the process names its ops port, removed when it
// exits. Files left by a harness that was killed are removed by the next one, so Prometheus
// does not scrape (and alert on) processes long gone.
import { existsSync, readdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the local stack's Prometheus looks for targets (stack.sh's IOT_STACK_DIR). */
export function scrapeTargetsDir(env: NodeJS.ProcessEnv = process.env): string {
  const stackDir =
    env.IOT_STACK_DIR ?? join(env.HOME ?? homedir(), '.local/state/iot-pipeline/stack');
  return join(stackDir, 'prometheus', 'targets');
}

/** Labels Prometheus adds to every series of the target. */
export type TargetLabels = Record<string, string>;

const FILE = /^iot-(\d+)-\d+\.json$/;
let registered = 0;
let pruned = false;
const mine = new Set<string>();

/**
 * Announces `127.0.0.1:port` to Prometheus; returns a function that withdraws it. Without a
 * targets folder (no Prometheus in this stack) it does nothing.
 */
export function registerScrapeTarget(
  port: number,
  labels: TargetLabels,
  dir = scrapeTargetsDir(),
): () => void {
  if (!existsSync(dir)) return () => {};
  if (!pruned) {
    pruned = true;
    pruneStale(dir);
    process.once('exit', () => {
      for (const file of mine) rmSync(file, { force: true });
    });
  }
  const file = join(dir, `iot-${process.pid}-${++registered}.json`);
  const body = JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels }]);
  // Written aside and renamed, so Prometheus never reads half a file.
  writeFileSync(`${file}.tmp`, body);
  renameSync(`${file}.tmp`, file);
  mine.add(file);
  return () => {
    mine.delete(file);
    rmSync(file, { force: true });
  };
}

/** Removes the files of harness processes that no longer run. */
function pruneStale(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = Number(FILE.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) rmSync(join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
