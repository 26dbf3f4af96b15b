// Runs iotctl as an operator would: its own process, with the pipeline's environment.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Exit code and output of `iotctl <args>`; never throws for a non-zero exit. */
export function runIotctl(
  env: Record<string, string | undefined>,
  args: readonly string[],
  timeoutMs = 120_000,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'tools/iotctl/src/main.ts', ...args],
      { cwd: repoRoot, env: { ...process.env, ...env }, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
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
