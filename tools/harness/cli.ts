// Runs the operator's commands (iotctl, loadgen, verify) as an operator would: each its own
// process, with the pipeline's environment.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The operator's commands, run from their sources. */
export type Tool = 'iotctl' | 'loadgen' | 'verify';

/**
 * Exit code and output of `<tool> <args>` run as its own process with `env` over this one's;
 * never throws for a non-zero exit.
 */
export function runTool(
  tool: Tool,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 120_000,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', `tools/${tool}/src/main.ts`, ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, ...env },
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Exit code and output of `iotctl <args>`; never throws for a non-zero exit. */
export function runIotctl(
  env: Record<string, string | undefined>,
  args: readonly string[],
  timeoutMs = 120_000,
): Promise<CliResult> {
  return runTool('iotctl', args, env, timeoutMs);
}

/** `iotctl <args>` that must exit 0: its stdout, or an error carrying everything it printed. */
export async function iotctlOk(
  env: Record<string, string | undefined>,
  ...args: string[]
): Promise<string> {
  const r = await runIotctl(env, args);
  if (r.code !== 0) {
    throw new Error(`iotctl ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  }
  return r.stdout;
}
