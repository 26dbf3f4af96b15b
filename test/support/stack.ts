// Where the local stack's servers listen (stack/stack.sh). Tests read these, never hard-code them,
// so the same suite can run against another stack by setting the variables.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const env = process.env;

export const stack = {
  pulsarUrl: env.PULSAR_URL ?? 'pulsar://127.0.0.1:6650',
  pulsarAdminUrl: env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080',
  pulsarTlsUrl: env.PULSAR_TLS_URL ?? 'pulsar+ssl://127.0.0.1:6651',
  pulsarAdminTlsUrl: env.PULSAR_ADMIN_TLS_URL ?? 'https://127.0.0.1:8443',
  clickhouseUrl: env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123',
  redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6380',
  natsUrl: env.NATS_URL ?? 'nats://127.0.0.1:4222',
  s3Endpoint: env.S3_ENDPOINT ?? 'http://127.0.0.1:9100',
  s3Bucket: env.S3_BUCKET ?? 'iot-checkpoints',
  s3Region: env.S3_REGION ?? 'us-east-1',
  s3AccessKey: env.S3_ACCESS_KEY ?? 'local-access-key',
  s3SecretKey: env.S3_SECRET_KEY ?? 'local-secret-key',
  zipkinUrl: env.ZIPKIN_URL ?? 'http://127.0.0.1:9411',
} as const;

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
export const stackDir =
  env.IOT_STACK_DIR ?? join(env.HOME ?? homedir(), '.local/state/iot-pipeline/stack');

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

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A name no other test run uses, for topics, tables, buckets and keys. */
export { uniqueName } from '@iot/harness';
