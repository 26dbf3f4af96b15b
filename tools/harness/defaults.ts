// What demo, chaos and bench share beyond the servers: the window and out-of-orderness the
// services run with by default (WINDOW_SIZE, MAX_OUT_OF_ORDERNESS), which they also compute
// their expectations and deadlines from, and how such a tool stops on a bad flag.

/** The services' default WINDOW_SIZE, in ms. */
export const WINDOW_MS = 60_000;
/** The services' default MAX_OUT_OF_ORDERNESS, in ms. */
export const OUT_OF_ORDERNESS_MS = 5_000;

/** Prints `<tool>: <message>` and exits 2: what a tool does on a bad flag or a missing server. */
export function usageFailure(tool: string): (message: string) => never {
  return (message) => {
    process.stderr.write(`${tool}: ${message}\n`);
    process.exit(2);
  };
}
