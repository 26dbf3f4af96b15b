// `verify`: did the pipeline write exactly the rows (and DLQ entries) a generated stream
// must produce? Regenerates the stream from loadgen's parameters, reads ClickHouse through
// FINAL, compares row by row; optionally counts the DLQ by reason. See tools/verify/README.md.
// Exit codes: 0 exact, 1 differences, 2 bad flags or a server unreachable.
import { readFile } from 'node:fs/promises';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import {
  ConfigError,
  clickhouseConnection,
  clickhouseSpec,
  loadConfig,
  normalizeClickHouseUrl,
  pulsarSpec,
  redact,
} from '@iot/config';
import { ClickHouseSink } from '@iot/clickhouse';
import {
  GENERATOR_FLAGS,
  UsageError,
  SetupError,
  errorText,
  runCommand,
  checkParams,
  durationMs,
  generatorOptions,
  intValue,
  paramsFromJson,
  parseFlags,
  pick,
  startMs,
  type Env,
  type FlagValues,
  type GeneratorParams,
} from '@iot/loadgen';
import { MessageId, PulsarClient, fullTopicName } from '@iot/pulsar';
import { compareCounts, compareRows, formatComparison, isClean } from '../compare.ts';
import { DlqTally, formatCounts } from '../dlq.ts';
import { expectedFromParams } from '../expected.ts';
import { scopeFilter, streamScope } from '../scope.ts';

const HELP = `Usage: verify --params FILE [flags]   (npx verify … in a checkout)
       verify --start T --partitions N [generator flags as for loadgen] [flags]

Regenerates the stream loadgen published, computes the rows the pipeline must have written,
reads them from ClickHouse (FINAL, only the stream's devices and windows) and compares.

  --params FILE           loadgen's --params-out file (or its JSON summary line)
  --partitions N          source partitions (with generator flags instead of --params)
  --window-size D         WINDOW_SIZE      default 1m (must match the aggregator's)
  --clickhouse-url URL    CLICKHOUSE_URL   default http://127.0.0.1:8123 (jdbc:clickhouse:// too)
  --database NAME         default: the URL's path, else benchmark
  --wait SECONDS          poll ClickHouse until the expected row count is there (or time is up)
  --dlq-topic TOPIC       also count the DLQ by reason (distinct origins) and compare
  --pulsar-url URL        PULSAR_URL       default pulsar://127.0.0.1:6650 (for --dlq-topic)
  --dlq-idle D            stop reading the DLQ after this long without a message (default 2s)
  --dlq-since T           ignore DLQ entries published before T (ISO, epoch ms); default: the
                          params file's publishStartedMs − 1 s, else everything
  --max-details N         examples listed per kind of difference (default 10)
Exit: 0 exact, 1 differences, 2 bad flags or a server unreachable.`;

const FLAGS = [
  ...Object.keys(GENERATOR_FLAGS),
  'params',
  'partitions',
  'window-size',
  'clickhouse-url',
  'database',
  'wait',
  'dlq-topic',
  'pulsar-url',
  'dlq-idle',
  'dlq-since',
  'max-details',
];

interface Config {
  params: GeneratorParams;
  windowSizeMs: number;
  clickhouseUrl: string;
  /** The read-only user verify should run as (README, "Security"). */
  clickhouseUser: string | undefined;
  clickhousePassword: string | undefined;
  database: string;
  waitMs: number;
  dlqTopic: string | undefined;
  pulsarUrl: string;
  pulsarToken: string | undefined;
  dlqIdleMs: number;
  dlqSinceMs: number;
  maxDetails: number;
}

const message = errorText;
/** The secret values of this run (filled once the credentials are read): never printed. */
const secrets: string[] = [];
const log = (line: string): void => void process.stderr.write(`verify: ${redact(line, secrets)}\n`);

/** Credentials from their variables (or *_FILE twins, or the URL); a bad one is a usage error. */
function credentials(env: Env, clickhouseUrl: string, needPulsar: boolean) {
  const spec = {
    ...clickhouseSpec,
    PULSAR_AUTH_TOKEN: needPulsar
      ? pulsarSpec.PULSAR_AUTH_TOKEN
      : pulsarSpec.PULSAR_AUTH_TOKEN.optional(),
  };
  try {
    const c = loadConfig(spec, { ...env, CLICKHOUSE_URL: clickhouseUrl });
    const ch = clickhouseConnection(c);
    for (const s of [ch.password, c.PULSAR_AUTH_TOKEN]) if (s !== undefined) secrets.push(s);
    return { ch, pulsarToken: c.PULSAR_AUTH_TOKEN };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

async function loadParams(
  values: FlagValues,
  env: Env,
): Promise<{ params: GeneratorParams; publishStartedMs?: number }> {
  const file = pick(values, env, 'params');
  if (file !== undefined) {
    const given = Object.keys(GENERATOR_FLAGS).filter((f) => typeof values[f] === 'string');
    if (given.length > 0 || typeof values.partitions === 'string')
      throw new UsageError(
        `--params ${file.text} already fixes the stream; drop ${[...given, ...(typeof values.partitions === 'string' ? ['partitions'] : [])].map((f) => `--${f}`).join(' ')}`,
      );
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file.text, 'utf8'));
    } catch (err) {
      throw new UsageError(`--params ${file.text}: ${message(err)}`);
    }
    const params = paramsFromJson(json, `--params ${file.text}`);
    const started =
      typeof json === 'object' && json !== null && 'publishStartedMs' in json
        ? json.publishStartedMs
        : undefined;
    return typeof started === 'number' ? { params, publishStartedMs: started } : { params };
  }
  const partitions = pick(values, env, 'partitions');
  if (partitions === undefined)
    throw new UsageError(
      'give --params FILE, or the generator flags with --start and --partitions',
    );
  const { params } = generatorOptions(values, env, Date.now(), { requireStart: true });
  return { params: checkParams({ ...params, partitions: intValue(partitions, 1, 10_000) }) };
}

async function config(argv: readonly string[], env: Env): Promise<Config | 'help'> {
  const values = parseFlags(argv, FLAGS);
  if (values.help === true) return 'help';
  const { params, publishStartedMs } = await loadParams(values, env);
  const got = (flag: string, variable?: string) => pick(values, env, flag, variable);

  const chText = got('clickhouse-url', 'CLICKHOUSE_URL')?.text ?? 'http://127.0.0.1:8123';
  const chNormalized = normalizeClickHouseUrl(chText);
  if (chNormalized === undefined)
    throw new UsageError(
      `--clickhouse-url ${JSON.stringify(chText)}: must be http(s)://host:port or jdbc:clickhouse://host:port/db`,
    );
  // The seed's JDBC URL names the database in its path (…:8123/benchmark), as the writer reads it.
  const creds = credentials(env, chNormalized, got('dlq-topic') !== undefined);
  const chUrl = new URL(creds.ch.url);
  const pathDb = chUrl.pathname.replace(/^\/+|\/+$/g, '');
  chUrl.pathname = '/';
  const database = got('database')?.text ?? (pathDb === '' ? 'benchmark' : pathDb);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database))
    throw new UsageError(
      `--database ${JSON.stringify(database)}: must match [A-Za-z_][A-Za-z0-9_]*`,
    );

  const dlqGot = got('dlq-topic');
  let dlqTopic: string | undefined;
  if (dlqGot !== undefined) {
    try {
      dlqTopic = fullTopicName(dlqGot.text);
    } catch (err) {
      throw new UsageError(`--dlq-topic: ${message(err)}`);
    }
  }
  const pulsarUrl = got('pulsar-url', 'PULSAR_URL')?.text ?? 'pulsar://127.0.0.1:6650';
  if (!/^pulsar(\+ssl)?:\/\/[^/]+/.test(pulsarUrl))
    throw new UsageError(`--pulsar-url ${JSON.stringify(pulsarUrl)}: must be pulsar://host:port`);
  const sinceGot = got('dlq-since');
  const windowGot = got('window-size', 'WINDOW_SIZE');
  const waitGot = got('wait');
  const idleGot = got('dlq-idle');
  const detailsGot = got('max-details');
  return {
    params,
    windowSizeMs: windowGot === undefined ? 60_000 : durationMs(windowGot),
    clickhouseUrl: chUrl.toString().replace(/\/$/, ''),
    clickhouseUser: creds.ch.username,
    clickhousePassword: creds.ch.password,
    database,
    waitMs: waitGot === undefined ? 0 : durationMs(waitGot, { bare: 's', allowZero: true }),
    dlqTopic,
    pulsarUrl,
    pulsarToken: creds.pulsarToken,
    dlqIdleMs: idleGot === undefined ? 2_000 : durationMs(idleGot, { bare: 'ms' }),
    dlqSinceMs:
      sinceGot !== undefined
        ? startMs(sinceGot, Date.now())
        : publishStartedMs !== undefined
          ? Math.max(0, publishStartedMs - 1_000)
          : 0,
    maxDetails: detailsGot === undefined ? 10 : intValue(detailsGot, 0),
  };
}

async function checkClickHouse(ch: ClickHouseClient, cfg: Config): Promise<void> {
  const ping = await ch.ping();
  if (!ping.success)
    throw new SetupError(`cannot reach ClickHouse at ${cfg.clickhouseUrl}: ${message(ping.error)}`);
  let rows: { n: string | number }[];
  try {
    const result = await ch.query({
      query: `SELECT count() AS n FROM system.tables WHERE database = '${cfg.database}' AND name = 'sensor_aggregates'`,
      format: 'JSONEachRow',
    });
    rows = await result.json<{ n: string | number }>();
  } catch (err) {
    throw new SetupError(`ClickHouse at ${cfg.clickhouseUrl} refused a query: ${message(err)}`);
  }
  if (Number(rows[0]?.n ?? 0) === 0)
    throw new SetupError(
      `ClickHouse at ${cfg.clickhouseUrl} has no table ${cfg.database}.sensor_aggregates (wrong --database, or the writer never started)`,
    );
}

async function countDlq(cfg: Config, topic: string): Promise<DlqTally> {
  const client = new PulsarClient({
    serviceUrl: cfg.pulsarUrl,
    ...(cfg.pulsarToken === undefined ? {} : { authToken: cfg.pulsarToken }),
    connectionTimeoutMs: 5_000,
    operationTimeoutMs: 15_000,
  });
  try {
    let reader;
    try {
      reader = await client.createReader({
        topic,
        startMessageId: MessageId.earliest,
        startMessageIdInclusive: true,
        receiverQueueSize: 1000,
        subscriptionRolePrefix: 'iot-verify',
      });
    } catch (err) {
      throw new SetupError(`cannot read ${topic} from Pulsar at ${cfg.pulsarUrl}: ${message(err)}`);
    }
    const tally = new DlqTally(cfg.dlqSinceMs);
    for (;;) {
      // A batch call returns what arrived within the idle time; an empty one means "quiet".
      const batch = await reader.receiveBatch(1000, cfg.dlqIdleMs);
      if (batch.length === 0) break;
      for (const m of batch)
        tally.add({
          properties: m.properties,
          id: `${m.topic} ${m.messageId.serialize()}`,
          publishTime: m.publishTime,
        });
    }
    await reader.close();
    return tally;
  } finally {
    await client.close();
  }
}

async function run(argv: readonly string[], env: Env): Promise<number> {
  const cfg = await config(argv, env);
  if (cfg === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const expected = expectedFromParams(cfg.params, {
    windowSizeMs: cfg.windowSizeMs,
    listAlerts: false,
  });
  if (expected.tagMismatches.length > 0)
    log(
      `warning: ${expected.tagMismatches.length} generator tags disagree with the ingest rules (a generator bug), e.g. ${expected.tagMismatches[0]}`,
    );
  const scope = streamScope(cfg.params, cfg.windowSizeMs, expected.rows);
  const filter = scopeFilter(scope);
  const devices = new Set(scope.deviceIds);

  // The client's own warnings would repeat our one-line error with a stack trace.
  const ch = createClient({
    url: cfg.clickhouseUrl,
    ...(cfg.clickhouseUser === undefined ? {} : { username: cfg.clickhouseUser }),
    ...(cfg.clickhousePassword === undefined ? {} : { password: cfg.clickhousePassword }),
    request_timeout: 60_000,
    log: { level: ClickHouseLogLevel.OFF },
  });
  let report: string;
  let rowsExact: boolean;
  try {
    await checkClickHouse(ch, cfg);
    const sink = new ClickHouseSink(ch, { database: cfg.database });
    if (cfg.waitMs > 0) {
      const deadline = Date.now() + cfg.waitMs;
      let lastLog = Date.now();
      let count = await sink.countAggregatesFinal(filter);
      while (count < expected.rows.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1_000));
        count = await sink.countAggregatesFinal(filter);
        if (Date.now() - lastLog >= 5_000) {
          log(`waiting: ${count}/${expected.rows.length} rows`);
          lastLog = Date.now();
        }
      }
      if (count < expected.rows.length)
        log(
          `--wait ran out with ${count} of ${expected.rows.length} rows; comparing what is there`,
        );
    }
    const actual = (await sink.readAggregatesFinal(filter)).filter((r) => devices.has(r.device_id));
    const comparison = compareRows(expected.rows, actual);
    rowsExact = isClean(comparison);
    report = formatComparison(comparison, cfg.maxDetails);
  } catch (err) {
    if (err instanceof SetupError) throw err;
    throw new SetupError(
      `reading ${cfg.database} from ClickHouse at ${cfg.clickhouseUrl} failed: ${message(err)}`,
    );
  } finally {
    await ch.close();
  }
  process.stdout.write(`${report}\n`);

  const want = expected.counts.dlq;
  if (cfg.dlqTopic === undefined) {
    process.stdout.write(
      `dlq: not checked (no --dlq-topic); expected ${formatCounts(want)} (late ${expected.counts.late} of ${expected.counts.messages} messages)\n`,
    );
    return rowsExact ? 0 : 1;
  }
  const tally = await countDlq(cfg, cfg.dlqTopic);
  const diffs = compareCounts(want, tally.byReason());
  const extra = [
    tally.read > tally.distinct ? `${tally.read - tally.distinct} repeats ignored` : '',
    tally.skipped > 0 ? `${tally.skipped} older entries skipped` : '',
    tally.withoutOrigin > 0 ? `${tally.withoutOrigin} without origin` : '',
  ].filter((s) => s !== '');
  const note = extra.length > 0 ? ` (${extra.join(', ')})` : '';
  process.stdout.write(
    diffs.length === 0
      ? `dlq: exact: ${tally.distinct} entries, ${formatCounts(want)}${note}\n`
      : `dlq: ${diffs.length} reasons differ: ${diffs.join('; ')}${note}\n`,
  );
  return rowsExact && diffs.length === 0 ? 0 : 1;
}

await runCommand(log, () => run(process.argv.slice(2), process.env));
