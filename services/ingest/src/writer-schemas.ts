// Writer schemas from Pulsar's schema registry, by the schema version a message carries.
// Producers using the official clients' Schema.AVRO register their schema and stamp each
// message with its version; decoding such a message needs that writer schema (AVRO
// resolution into our reader schema, @iot/schema avro.ts). Versions never change once
// registered, so answers are cached; a version the registry does not know is permanent (the
// message goes to the DLQ as `unresolved_schema`), an admin API that is down or failing is
// not (retried with backoff, then the batch fails and is retried from its commit).
import { backoffDelay, sleep } from '@iot/pulsar/backoff';
import { AdminError, type RegisteredSchema } from '@iot/pulsar';

/** What a message's schema version resolves to. */
export type WriterSchema =
  /** `schema`: the AVRO writer schema; undefined when the registry's type is not AVRO. */
  { ok: true; schema: string | undefined } | { ok: false; detail: string };

export interface SchemaRegistry {
  getSchema(topic: string, version: Buffer): Promise<RegisteredSchema>;
}

export interface WriterSchemasOptions {
  /** Attempts for a transient admin error before the batch fails (default 5). */
  attempts?: number;
  initialBackoffMs?: number;
  wait?: (ms: number) => Promise<void>;
}

/** Entries kept before the cache starts over (writer schemas come from the outside). */
const MAX_CACHED = 1000;

/** 4xx other than 408/429: the registry answered, and the answer will not change. */
function isPermanent(err: unknown): err is AdminError {
  return (
    err instanceof AdminError &&
    err.status >= 400 &&
    err.status < 500 &&
    ![408, 429].includes(err.status)
  );
}

export class WriterSchemas {
  private readonly cache = new Map<string, WriterSchema>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly options: WriterSchemasOptions = {},
  ) {}

  /** The writer schema of `version` on `topic` (a partition's name is fine). */
  async resolve(topic: string, version: Buffer): Promise<WriterSchema> {
    const key = `${topic.replace(/-partition-\d+$/, '')}@${version.toString('hex')}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const found = await this.fetch(topic, version);
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(key, found);
    return found;
  }

  private async fetch(topic: string, version: Buffer): Promise<WriterSchema> {
    const attempts = this.options.attempts ?? 5;
    const wait = this.options.wait ?? sleep;
    for (let attempt = 1; ; attempt++) {
      try {
        const s = await this.registry.getSchema(topic, version);
        return { ok: true, schema: s.type.toUpperCase() === 'AVRO' ? s.data : undefined };
      } catch (err) {
        if (isPermanent(err)) {
          return {
            ok: false,
            detail: `schema version 0x${version.toString('hex')} of ${topic} is not in the schema registry: ${err.message}`,
          };
        }
        if (attempt >= attempts) throw err;
        await wait(backoffDelay(attempt, { initialMs: this.options.initialBackoffMs ?? 200 }));
      }
    }
  }
}
