// `loadgen`: publishes the deterministic generated stream (../generator.ts) to Pulsar,
// paced to a target rate. Usage: see HELP below or tools/loadgen/README.md.
// Exit codes: 0 done, 1 publishing failed, 2 bad flags or Pulsar unreachable, 130 interrupted.
import { writeFile } from 'node:fs/promises';
import { ConfigError, loadConfig, pulsarSpec, redact } from '@iot/config';
import {
  AdminError,
  PulsarAdmin,
  PulsarClient,
  fullTopicName,
  partitionTopicName,
  type CompressionName,
  type Producer,
} from '@iot/pulsar';
import { generateStream, messageCount, type GeneratorParams } from '../generator.ts';
import {
  GENERATOR_FLAGS,
  UsageError,
  SetupError,
  errorText,
  runCommand,
  checkParams,
  generatorOptions,
  intValue,
  parseFlags,
  pick,
  type Env,
} from '../options.ts';
import { achievedRate, formatProgress } from '../progress.ts';
import { publishStream, type PublishState } from '../publish.ts';

const HELP = `Usage: loadgen [flags]   (npx loadgen [flags] in a checkout)

Publishes a deterministic stream of SensorData messages to a Pulsar topic, each to the
partition the generator names, paced to --rate msg/s of wall-clock time.

Connection (flag or environment variable):
  --pulsar-url URL        PULSAR_URL        default pulsar://127.0.0.1:6650
  --admin-url URL         PULSAR_ADMIN_URL  default http://127.0.0.1:8080 (for --create-topic)
  --topic TOPIC           PULSAR_TOPIC      default persistent://public/default/iot-sensor-data
  --create-topic N        create the topic with N partitions if it does not exist
  --compression NAME      none | lz4 | zlib | snappy (default lz4)
Stream:
  --devices N             LOADGEN_DEVICES   default 1000
  --rate MSG_PER_S        LOADGEN_RATE      default 30000 (event time advances at this rate)
  --duration D            LOADGEN_DURATION  event-time span, e.g. 2m (default 1m)
  --messages N            LOADGEN_MESSAGES  instead of --duration
  --seed N                LOADGEN_SEED      default 1
  --start T               LOADGEN_START     ISO time, epoch ms or "now" (default: now, down to the minute)
  --late F --out-of-order F --duplicate F --legacy-json F --malformed F
                          shares from 0 to 1 (LOADGEN_LATE, … LOADGEN_MALFORMED), default 0
  --max-out-of-orderness D  MAX_OUT_OF_ORDERNESS  default 5s (must match ingest's)
  --first-sensor-id N     LOADGEN_FIRST_SENSOR_ID default 1
Output:
  --params-out FILE       write the run summary with the generator parameters (for verify --params)
Prints progress on stderr and one JSON summary line on stdout.
Exit: 0 done, 1 publishing failed, 2 bad flags or server unreachable, 130 interrupted.`;

const FLAGS = [
  ...Object.keys(GENERATOR_FLAGS),
  'pulsar-url',
  'admin-url',
  'topic',
  'create-topic',
  'compression',
  'params-out',
];
const COMPRESSIONS: readonly CompressionName[] = ['none', 'lz4', 'zlib', 'snappy'];

interface Config {
  pulsarUrl: string;
  adminUrl: string;
  pulsarToken: string;
  topic: string;
  createTopic: number | undefined;
  compression: CompressionName;
  paramsOut: string | undefined;
  params: Omit<GeneratorParams, 'partitions'>;
  rate: number;
}

function config(argv: readonly string[], env: Env): Config | 'help' {
  const values = parseFlags(argv, FLAGS);
  if (values.help === true) return 'help';
  const text = (flag: string, variable: string | undefined, d: string): string =>
    pick(values, env, flag, variable)?.text ?? d;
  const createGot = pick(values, env, 'create-topic');
  const compression = text('compression', undefined, 'lz4');
  if (!(COMPRESSIONS as readonly string[]).includes(compression))
    throw new UsageError(
      `--compression ${JSON.stringify(compression)}: use one of ${COMPRESSIONS.join(', ')}`,
    );
  const pulsarUrl = text('pulsar-url', 'PULSAR_URL', 'pulsar://127.0.0.1:6650');
  if (!/^pulsar(\+ssl)?:\/\/[^/]+/.test(pulsarUrl))
    throw new UsageError(`--pulsar-url ${JSON.stringify(pulsarUrl)}: must be pulsar://host:port`);
  const adminUrl = text('admin-url', 'PULSAR_ADMIN_URL', 'http://127.0.0.1:8080');
  if (!/^https?:\/\/[^/]+/.test(adminUrl))
    throw new UsageError(`--admin-url ${JSON.stringify(adminUrl)}: must be http://host:port`);
  const { params, rate } = generatorOptions(values, env, Date.now());
  const topicText = text('topic', 'PULSAR_TOPIC', 'persistent://public/default/iot-sensor-data');
  let topic: string;
  try {
    topic = fullTopicName(topicText);
  } catch (err) {
    throw new UsageError(`--topic: ${message(err)}`);
  }
  return {
    pulsarUrl,
    adminUrl,
    pulsarToken: pulsarToken(env),
    topic,
    createTopic: createGot === undefined ? undefined : intValue(createGot, 1, 10_000),
    compression: compression as CompressionName,
    paramsOut: pick(values, env, 'params-out')?.text,
    params,
    rate,
  };
}

async function ensureTopic(cfg: Config, partitions: number): Promise<void> {
  const admin = new PulsarAdmin({
    adminUrl: cfg.adminUrl,
    authToken: cfg.pulsarToken,
    timeoutMs: 10_000,
  });
  let existing: number;
  try {
    existing = (await admin.getPartitionedTopicMetadata(cfg.topic)).partitions;
  } catch (err) {
    throw new SetupError(`cannot reach the Pulsar admin API at ${cfg.adminUrl}: ${message(err)}`);
  }
  if (existing > 0) {
    if (existing !== partitions)
      log(`topic ${cfg.topic} exists with ${existing} partitions; using ${existing}`);
    return;
  }
  try {
    await admin.createPartitionedTopic(cfg.topic, partitions);
    log(`created ${cfg.topic} with ${partitions} partitions`);
  } catch (err) {
    if (err instanceof AdminError && err.status === 409)
      throw new SetupError(
        `${cfg.topic} exists as a non-partitioned topic; delete it or drop --create-topic`,
      );
    throw new SetupError(`creating ${cfg.topic} failed: ${message(err)}`);
  }
}

const message = errorText;
/** The secret values of this run (filled once the token is read): never printed. */
const secrets: string[] = [];
const log = (line: string): void =>
  void process.stderr.write(`loadgen: ${redact(line, secrets)}\n`);

/** The broker token from PULSAR_AUTH_TOKEN (or its _FILE twin); missing is a usage error. */
function pulsarToken(env: Env): string {
  try {
    const token = loadConfig(
      { PULSAR_AUTH_TOKEN: pulsarSpec.PULSAR_AUTH_TOKEN },
      env,
    ).PULSAR_AUTH_TOKEN;
    secrets.push(token);
    return token;
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

async function run(argv: readonly string[], env: Env): Promise<number> {
  const cfg = config(argv, env);
  if (cfg === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (cfg.createTopic !== undefined) await ensureTopic(cfg, cfg.createTopic);

  const client = new PulsarClient({
    serviceUrl: cfg.pulsarUrl,
    authToken: cfg.pulsarToken,
    connectionTimeoutMs: 5_000,
    operationTimeoutMs: 15_000,
  });
  let stopRequested = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopRequested) process.exit(130); // second Ctrl-C: give up on a clean close
    stopRequested = true;
    log(`${signal}: stopping; waiting for the messages in flight (again to quit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let topicPartitions: number;
    try {
      topicPartitions = await client.getPartitionCount(cfg.topic);
    } catch (err) {
      throw new SetupError(`cannot reach Pulsar at ${cfg.pulsarUrl}: ${message(err)}`);
    }
    // A non-partitioned topic is one source partition as far as the generator goes.
    const partitions = Math.max(1, topicPartitions);
    const targets =
      topicPartitions === 0
        ? [cfg.topic]
        : Array.from({ length: partitions }, (_, i) => partitionTopicName(cfg.topic, i));
    const params = checkParams({ ...cfg.params, partitions });
    const total = messageCount(params);

    let producers: Producer[];
    try {
      producers = await Promise.all(
        targets.map((topic) =>
          client.createProducer({
            topic,
            batching: { maxMessages: 1000, maxBytes: 128 * 1024, maxDelayMs: 10 },
            compression: cfg.compression,
            maxPendingMessages: 5_000,
            blockIfQueueFull: true,
          }),
        ),
      );
    } catch (err) {
      throw new SetupError(`cannot create producers on ${cfg.topic}: ${message(err)}`);
    }
    log(
      `publishing ${total} messages (${params.devices} devices, event time from ${new Date(params.startMs).toISOString()}, span ${params.durationMs} ms) to ${cfg.topic} (${topicPartitions === 0 ? 'not partitioned' : `${partitions} partitions`}) at ${cfg.rate} msg/s`,
    );

    const state: PublishState = { sent: 0, acked: 0, startedAt: performance.now() };
    const tty = process.stderr.isTTY === true;
    const progressLine = (): string =>
      formatProgress({
        sent: state.sent,
        acked: state.acked,
        total,
        elapsedMs: performance.now() - state.startedAt,
        targetRate: cfg.rate,
      });
    const timer = setInterval(
      () => {
        if (tty) process.stderr.write(`\r\x1b[2K${progressLine()}`);
        else log(progressLine());
      },
      tty ? 250 : 5_000,
    );
    const publishStartedMs = Date.now();
    let result;
    try {
      result = await publishStream(
        generateStream(params),
        producers,
        { rate: cfg.rate, stopped: () => stopRequested },
        state,
      );
    } finally {
      clearInterval(timer);
      // The final count, on a terminal and in logs alike.
      if (tty) process.stderr.write(`\r\x1b[2K${progressLine()}\n`);
      else log(progressLine());
    }
    await Promise.all(producers.map((p) => p.close()));

    const summary = {
      messages: result.sent,
      durationMs: Math.round(result.elapsedMs),
      achievedRate: Math.round(achievedRate(result.sent, result.elapsedMs)),
      targetRate: cfg.rate,
      topic: cfg.topic,
      partitions,
      publishStartedMs,
      ...(result.interrupted ? { interrupted: true, expectedMessages: total } : {}),
      params,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    // Runs under 2 s are mostly connection set-up and the final flush: no verdict on the rate.
    if (summary.achievedRate < cfg.rate * 0.95 && result.elapsedMs >= 2_000 && !result.interrupted)
      log(
        `achieved ${summary.achievedRate} msg/s, below the target ${cfg.rate}: this machine or broker could not keep up`,
      );
    if (result.interrupted) {
      log(`interrupted after ${result.sent} of ${total} messages; --params-out not written`);
      return 130;
    }
    if (cfg.paramsOut !== undefined) {
      await writeFile(cfg.paramsOut, `${JSON.stringify(summary, null, 2)}\n`);
      log(`wrote ${cfg.paramsOut}`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await client.close();
  }
}

await runCommand(log, () => run(process.argv.slice(2), process.env));
