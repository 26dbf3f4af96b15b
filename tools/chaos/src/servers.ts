// The stack's servers, faulted through stack/stack.sh's own bookkeeping: its pid files for a
// kill -9, `down` to stop one, `up` to start whatever is down and wait until it is ready.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export type Server = 'pulsar' | 'clickhouse' | 'redis' | 'nats' | 's3';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const stackDir =
  process.env.IOT_STACK_DIR ??
  join(process.env.HOME ?? homedir(), '.local/state/iot-pipeline/stack');

async function stack(...args: string[]): Promise<void> {
  await run('bash', [join(repoRoot, 'stack/stack.sh'), ...args], {
    cwd: repoRoot,
    timeout: 300_000,
  });
}

/** The pid stack.sh recorded for a server it started and that still runs. */
export function stackPid(server: Server): number | undefined {
  try {
    const pid = Number(readFileSync(join(stackDir, 'run', `${server}.pid`), 'utf8').trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Why this server cannot be faulted here, or undefined when it can. */
export function cannotFault(server: Server): string | undefined {
  return stackPid(server) === undefined
    ? `${server} was not started by stack/stack.sh (the machine's own): stopping it is not ours to do`
    : undefined;
}

/** kill -9 of the server's process group (stack.sh starts each with setsid). */
export async function killServer(server: Server): Promise<void> {
  const pid = stackPid(server);
  if (pid === undefined) throw new Error(`${server}: no running process recorded by stack.sh`);
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    process.kill(pid, 'SIGKILL');
  }
  for (let i = 0; i < 100 && stackPid(server) !== undefined; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const stopServer = (server: Server) => stack('down', server);
/** Starts whatever is down and waits until it is ready (stack.sh up). */
export const startServer = (server: Server) => stack('up', server);
