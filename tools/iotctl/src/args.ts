// Command-line parsing: `iotctl <command> [--flag value | --flag]…`. Pure.

export const USAGE = `usage: iotctl <command> [options]
  status                    what the operations console shows: pipeline state, every instance
                            (partitions, lag, last epoch), throughput, event-time lag and
                            watermarks per partition, checkpoints, savepoints, alerts, DLQ
  epochs                    complete epochs and savepoints in checkpoint storage
  savepoint [--name NAME]   take a savepoint now (through the checkpointer leader)
  suspend                   park every partition at its next micro-batch boundary
  resume                    continue after suspend
  restore --from EPOCH|NAME restore a complete epoch or savepoint: running owners reload it at a
                            micro-batch boundary (suspend, restore, resume); with no service
                            running, its snapshots are written into Redis for the next start
  topics ensure             create the pipeline's topics (PULSAR_TOPIC_PARTITIONS and
                            RECORDS_TOPIC_PARTITIONS partitions) or raise their partition counts;
                            idempotent. Raising the records topic's needs --repartition-records
options: --json (status, epochs), --timeout DURATION (savepoint, suspend, resume, restore)
environment: NATS_URL, S3_ENDPOINT, S3_BUCKET, S3_*, REDIS_URL, CONTROL_SUBJECT_PREFIX,
             CHECKPOINT_S3_PREFIX, STATE_NAMESPACE, PULSAR_ADMIN_URL, PULSAR_AUTH_TOKEN, *_TOPIC
             (defaults: the local stack)`;

export const COMMANDS = [
  'status',
  'epochs',
  'savepoint',
  'suspend',
  'resume',
  'restore',
  'topics',
] as const;
export type Command = (typeof COMMANDS)[number];

export interface Args {
  command: Command;
  flags: Map<string, string | true>;
}

export class UsageError extends Error {}

const VALUE_FLAGS = new Set(['name', 'from', 'timeout']);
const BOOL_FLAGS = new Set(['json', 'repartition-records']);
// Commands with a sub-command: `topics ensure`.
const SUBCOMMANDS: Partial<Record<Command, readonly string[]>> = { topics: ['ensure'] };

export function parseArgs(argv: readonly string[]): Args {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help') throw new UsageError('');
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command "${command}"`);
  }
  const subcommands = SUBCOMMANDS[command as Command];
  if (subcommands !== undefined && !subcommands.includes(rest.shift() ?? ''))
    throw new UsageError(`${command} needs one of: ${subcommands.join(', ')}`);
  const flags = new Map<string, string | true>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new UsageError(`unexpected argument "${arg}"`);
    const name = m[1] ?? '';
    if (BOOL_FLAGS.has(name)) {
      flags.set(name, true);
    } else if (VALUE_FLAGS.has(name)) {
      const value = m[2] ?? rest[++i];
      if (value === undefined || value.startsWith('--'))
        throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  if (command === 'restore' && typeof flags.get('from') !== 'string') {
    throw new UsageError('restore needs --from <epoch number | savepoint name>');
  }
  return { command: command as Command, flags };
}
