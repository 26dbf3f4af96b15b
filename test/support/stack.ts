// Where the local stack's servers listen (stack/stack.sh). Tests read these, never hard-code them,
// so the same suite can run against another stack by setting the variables.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { credentialEnv, localServers, stackDirOf } from '@iot/harness';

const env = process.env;

export const stack = {
  // The addresses the demo, chaos and bench use too, from the same variables.
  ...localServers(env),
  pulsarTlsUrl: env.PULSAR_TLS_URL ?? 'pulsar+ssl://127.0.0.1:6651',
  pulsarAdminTlsUrl: env.PULSAR_ADMIN_TLS_URL ?? 'https://127.0.0.1:8443',
  zipkinUrl: env.ZIPKIN_URL ?? 'http://127.0.0.1:9411',
  prometheusUrl: env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090',
} as const;
// stack.credentials (from localServers): who connects, since every server authenticates:
// `admin` for the tests' own clients, `services` for the services they start, `operator` for
// iotctl; from the stack's secrets folder, the admin's possibly from `stack.sh env`.

/** Client options of the admin identity, to spread into the tests' own clients. */
export const auth = {
  get pulsar(): { authToken: string } {
    return { authToken: stack.credentials.admin.pulsarToken };
  },
  get clickhouse(): { username: string; password: string } {
    const a = stack.credentials.admin;
    return { username: a.clickhouseUser, password: a.clickhousePassword };
  },
  get redis(): { password: string } {
    return { password: stack.credentials.admin.redisPassword };
  },
  /** Headers for a raw fetch() of the Pulsar admin API. */
  get pulsarHeaders(): Record<string, string> {
    return {
      authorization: `Bearer ${stack.credentials.admin.pulsarToken}`,
      'x-pulsar-auth-method-name': 'token',
    };
  },
  get nats(): { user: string; pass: string } {
    const a = stack.credentials.admin;
    return { user: a.natsUser, pass: a.natsPassword };
  },
};

/**
 * The variables a child process (a service, iotctl, verify, loadgen) needs to connect as one
 * of the stack's identities: spread into its environment after process.env.
 */
export function envAs(who: 'admin' | 'services' | 'operator'): Record<string, string> {
  return credentialEnv(stack.credentials[who]);
}

/**
 * The on-demand cluster servers (`stack.sh up redis-cluster`, `up clickhouse-cluster`): a test
 * that needs one starts it with `await stackCommand('up', 'redis-cluster')` first.
 */
export const clusters = {
  redisClusterNodes:
    env.STACK_REDIS_CLUSTER_NODES ?? '127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103',
  /** HTTP of the two ClickHouse servers, shard 1 and shard 2 of `iot_cluster`. */
  clickhouseUrls: (
    env.STACK_CLICKHOUSE_CLUSTER_URLS ?? 'http://127.0.0.1:8124,http://127.0.0.1:8125'
  ).split(','),
  clickhouseCluster: 'iot_cluster',
} as const;

/** Where stack/stack.sh keeps data, logs and pid files (same default as the script). */
export const stackDir = stackDirOf(env);

/** The broker's TLS CA and token secret, made by stack.sh (see stack/README.md). */
export const pulsarCaFile = join(stackDir, 'pulsar/tls/ca.cert.pem');
export const pulsarTokenSecretFile = join(stackDir, 'pulsar/token/secret.key');

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const stackScript = fileURLToPath(new URL('../../stack/stack.sh', import.meta.url));

const run = promisify(execFile);

/** Runs `stack/stack.sh <args>` and returns its output (throws with its stderr on failure). */
export async function stackCommand(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('bash', [stackScript, ...args], { cwd: repoRoot, timeout: 300_000 });
}

/** The pid stack.sh recorded for a server it started (undefined when there is none). */
export async function stackPid(server: string): Promise<number | undefined> {
  try {
    return Number((await readFile(join(stackDir, 'run', `${server}.pid`), 'utf8')).trim());
  } catch {
    return undefined;
  }
}

export { alive } from '@iot/observability/testing';

/** A name no other test run uses, for topics, tables, buckets and keys. */
export { uniqueName } from '@iot/harness';
