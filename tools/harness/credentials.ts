// Who the harness, the services and iotctl connect as on the local stack: stack/stack.sh makes
// every password and token once into $IOT_STACK_DIR/secrets (stack/README.md, "Credentials").
// Read lazily, so code that never connects runs without a stack.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** One identity on every server. */
export interface Credentials {
  readonly pulsarToken: string;
  readonly clickhouseUser: string;
  readonly clickhousePassword: string;
  readonly redisPassword: string;
  readonly natsUser: string;
  readonly natsPassword: string;
}

/** The identities of a stack (what the stack grants each: stack/README.md). */
export interface StackCredentials {
  /** Setup, checks and cleanup by tests and tools: superuser, ClickHouse `default`. */
  readonly admin: Credentials;
  /** The services: produce/consume, the writer's ClickHouse user, NATS without control requests. */
  readonly services: Credentials;
  /** iotctl: may send suspend, resume, restore and savepoint requests. */
  readonly operator: Credentials;
}

/** Where stack/stack.sh keeps its state (same default as the script). */
export function stackDirOf(env: NodeJS.ProcessEnv = process.env): string {
  return env.IOT_STACK_DIR ?? join(env.HOME ?? homedir(), '.local/state/iot-pipeline/stack');
}

function reader(dir: string): (name: string) => string {
  const cache = new Map<string, string>();
  return (name) => {
    let value = cache.get(name);
    if (value === undefined) {
      const file = join(dir, 'secrets', name);
      try {
        value = readFileSync(file, 'utf8').trim();
      } catch (err) {
        throw new Error(
          `no stack credential ${file} (${(err as NodeJS.ErrnoException).code}): start the stack ` +
            'with `npm run stack -- up` (it makes them), or set IOT_STACK_DIR to its directory',
        );
      }
      cache.set(name, value);
    }
    return value;
  };
}

/** An identity whose values are read from the stack's files when first used. */
function lazy(fields: { [K in keyof Credentials]: () => string }): Credentials {
  const out = {};
  for (const [key, get] of Object.entries(fields)) {
    Object.defineProperty(out, key, { get, enumerable: true });
  }
  return out as Credentials;
}

/**
 * The local stack's identities. The admin one may come from the environment (`stack.sh env`
 * exports PULSAR_AUTH_TOKEN, CLICKHOUSE_USER/PASSWORD, REDIS_PASSWORD, NATS_USER/PASSWORD);
 * the others are always the stack's own.
 */
export function stackCredentials(env: NodeJS.ProcessEnv = process.env): StackCredentials {
  const file = reader(stackDirOf(env));
  const redis = () => env.REDIS_PASSWORD ?? file('redis.password');
  return {
    admin: lazy({
      pulsarToken: () => env.PULSAR_AUTH_TOKEN ?? file('pulsar-admin.token'),
      clickhouseUser: () => env.CLICKHOUSE_USER ?? 'default',
      clickhousePassword: () => env.CLICKHOUSE_PASSWORD ?? file('clickhouse-default.password'),
      redisPassword: redis,
      natsUser: () => env.NATS_USER ?? 'iotctl',
      natsPassword: () => env.NATS_PASSWORD ?? file('nats-iotctl.password'),
    }),
    services: lazy({
      pulsarToken: () => file('pulsar-pipeline.token'),
      clickhouseUser: () => 'iot_writer',
      clickhousePassword: () => file('clickhouse-writer.password'),
      redisPassword: redis,
      natsUser: () => 'pipeline',
      natsPassword: () => file('nats-pipeline.password'),
    }),
    operator: lazy({
      pulsarToken: () => file('pulsar-iotctl.token'),
      clickhouseUser: () => 'iot_reader',
      clickhousePassword: () => file('clickhouse-reader.password'),
      redisPassword: redis,
      natsUser: () => 'iotctl',
      natsPassword: () => file('nats-iotctl.password'),
    }),
  };
}

/** The variables a process needs to connect as `c` (services, iotctl, verify, loadgen). */
export function credentialEnv(c: Credentials): Record<string, string> {
  return {
    PULSAR_AUTH_TOKEN: c.pulsarToken,
    CLICKHOUSE_USER: c.clickhouseUser,
    CLICKHOUSE_PASSWORD: c.clickhousePassword,
    REDIS_PASSWORD: c.redisPassword,
    NATS_USER: c.natsUser,
    NATS_PASSWORD: c.natsPassword,
  };
}

/** Client options for `c`: spread into PulsarClient/PulsarAdmin, createClient, Redis, connect. */
export function clientAuth(c: Credentials) {
  return {
    pulsar: { authToken: c.pulsarToken },
    clickhouse: { username: c.clickhouseUser, password: c.clickhousePassword },
    redis: { password: c.redisPassword },
    nats: { user: c.natsUser, pass: c.natsPassword },
  };
}
