import { ConfigError, loadConfig, type ConfigOf, type Env, type Spec } from './spec.ts';

/** Where the one-line error goes; a @iot/observability Logger fits. */
export interface ConfigErrorLog {
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * loadConfig(), or — on a ConfigError — log its one line and exit non-zero, so a service
 * with bad settings stops at once with a message an operator can act on.
 */
export function loadConfigOrExit<S extends Spec>(
  spec: S,
  env: Env,
  log: ConfigErrorLog,
  exit: (code: number) => never = process.exit,
): ConfigOf<S> {
  try {
    return loadConfig(spec, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log.error(err.message, { variables: err.variables });
    return exit(1);
  }
}
