/**
 * Command-line and environment options shared by `loadgen` and `verify`: the flags that
 * determine the generated stream. Pure: takes the parsed flag values, the environment and
 * a clock, returns parameters or throws UsageError saying which flag is wrong.
 *
 * Every generator flag also reads an environment variable (`--devices` ↔ LOADGEN_DEVICES);
 * a flag wins over its variable.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '@iot/config';
import {
  LOAD_PROFILES,
  resolveParams,
  type GeneratorParams,
  type LoadProfile,
} from './generator.ts';

/** A bad flag or variable: the CLI prints the message on one line and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A server could not be reached or refused what the command needs: exit 2 with the message. */
export class SetupError extends Error {}

/** An error's message, or the thrown value as text. */
export const errorText = (err: unknown): string =>
  err instanceof Error ? err.message : String(err);

/**
 * Runs a command line's `run` and sets the exit code from its outcome (loadgen, verify): what
 * it returns, 2 for bad flags or an unusable server (one line on stderr), 1 for anything else.
 */
export async function runCommand(
  log: (line: string) => void,
  run: () => Promise<number>,
): Promise<void> {
  try {
    process.exitCode = await run();
  } catch (err) {
    if (err instanceof UsageError) {
      log(`${err.message} (--help lists the flags)`);
      process.exitCode = 2;
    } else if (err instanceof SetupError) {
      log(err.message);
      process.exitCode = 2;
    } else {
      log(`failed: ${errorText(err)}`);
      process.exitCode = 1;
    }
  }
}

export type Env = Readonly<Record<string, string | undefined>>;
export type FlagValues = Readonly<Record<string, string | boolean | undefined>>;

/** The generator's flags (all take a value), with their environment variables. */
export const GENERATOR_FLAGS = {
  devices: 'LOADGEN_DEVICES',
  'first-sensor-id': 'LOADGEN_FIRST_SENSOR_ID',
  rate: 'LOADGEN_RATE',
  duration: 'LOADGEN_DURATION',
  messages: 'LOADGEN_MESSAGES',
  seed: 'LOADGEN_SEED',
  profile: 'LOADGEN_PROFILE',
  start: 'LOADGEN_START',
  late: 'LOADGEN_LATE',
  'out-of-order': 'LOADGEN_OUT_OF_ORDER',
  duplicate: 'LOADGEN_DUPLICATE',
  'legacy-json': 'LOADGEN_LEGACY_JSON',
  malformed: 'LOADGEN_MALFORMED',
  'max-out-of-orderness': 'MAX_OUT_OF_ORDERNESS',
} as const;

export type GeneratorFlag = keyof typeof GENERATOR_FLAGS;

/**
 * Parses argv strictly: every flag must be declared in `flags` (all string-valued) or be
 * `--help`; anything else is a UsageError naming it.
 */
export function parseFlags(argv: readonly string[], flags: readonly string[]): FlagValues {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const f of flags) options[f] = { type: 'string' };
  try {
    const { values } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: false,
    });
    return values;
  } catch (err) {
    // parseArgs' messages are good ("Unknown option '--x'", "Option '--rate <value>' argument missing").
    throw new UsageError(err instanceof Error ? err.message.split('\n')[0]! : String(err));
  }
}

/** The raw text for a flag: the flag's value, else its environment variable, else undefined. */
export function pick(
  values: FlagValues,
  env: Env,
  flag: string,
  variable?: string,
): { text: string; source: string } | undefined {
  const v = values[flag];
  if (typeof v === 'string') return { text: v, source: `--${flag}` };
  const e = variable === undefined ? undefined : env[variable];
  if (e !== undefined && e !== '') return { text: e, source: variable as string };
  return undefined;
}

function fail(source: string, text: string, want: string): never {
  throw new UsageError(`${source} ${JSON.stringify(text)}: ${want}`);
}

export function intValue(
  got: { text: string; source: string },
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const t = got.text.trim().replaceAll('_', '');
  const n = /^-?\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    fail(got.source, got.text, `must be an integer from ${min} to ${max}`);
  return n;
}

export function positiveNumber(got: { text: string; source: string }): number {
  const n = Number(got.text.trim().replaceAll('_', ''));
  if (got.text.trim() === '' || !Number.isFinite(n) || n <= 0)
    fail(got.source, got.text, 'must be a number > 0');
  return n;
}

export function fraction(got: { text: string; source: string }): number {
  const t = got.text.trim();
  const n = t.endsWith('%') ? Number(t.slice(0, -1)) / 100 : Number(t);
  if (t === '' || !Number.isFinite(n) || n < 0 || n > 1)
    fail(got.source, got.text, 'must be a fraction from 0 to 1 (e.g. 0.01 or 1%)');
  return n;
}

/** "2m", "30s", "500ms", "1h"; `bare` says what a plain number means (e.g. seconds for --wait). */
export function durationMs(
  got: { text: string; source: string },
  options: { bare?: 'ms' | 's'; allowZero?: boolean } = {},
): number {
  const t = got.text.trim();
  let ms = parseDuration(t);
  if (ms === undefined && options.bare !== undefined && /^\d+(\.\d+)?$/.test(t))
    ms = Number(t) * (options.bare === 's' ? 1000 : 1);
  if (ms === undefined || !Number.isFinite(ms))
    fail(got.source, got.text, 'must be a duration such as 500ms, 30s, 2m or 1h');
  ms = Math.round(ms);
  if (ms < 0 || (ms === 0 && options.allowZero !== true))
    fail(got.source, got.text, `must be ${options.allowZero === true ? '≥ 0' : '> 0'}`);
  return ms;
}

/** Epoch ms from "2024-01-01T00:00:00Z", an epoch-ms integer, or "now" (aligned down to the minute). */
export function startMs(got: { text: string; source: string }, nowMs: number): number {
  const t = got.text.trim();
  if (t === 'now') return alignToMinute(nowMs);
  if (/^\d+$/.test(t)) return intValue(got, 0);
  const ms = Date.parse(t);
  if (!Number.isFinite(ms) || ms < 0)
    fail(got.source, got.text, 'must be an ISO date-time (2024-01-01T00:00:00Z), epoch ms or now');
  return ms;
}

export const alignToMinute = (ms: number): number => ms - (ms % 60_000);

/**
 * Event-time span and event rate for exactly `messages` messages at `rate` msg/s: the span is
 * rounded up to a whole millisecond and the event rate nudged so that the generator's
 * `⌊durationMs·rate/1000⌋` is exactly `messages`.
 */
export function spanForMessages(
  messages: number,
  rate: number,
): { durationMs: number; ratePerSec: number } {
  const durationMs = Math.max(1, Math.ceil((messages * 1000) / rate));
  let ratePerSec = (messages * 1000) / durationMs;
  const count = (r: number): number => Math.floor((durationMs * r) / 1000);
  // Floating point can land one below (or above) the intended count; step by a few ulps.
  for (let i = 0; i < 64 && count(ratePerSec) < messages; i++)
    ratePerSec += Math.max(Number.EPSILON * ratePerSec, Number.MIN_VALUE);
  for (let i = 0; i < 64 && count(ratePerSec) > messages; i++)
    ratePerSec -= Number.EPSILON * ratePerSec;
  if (count(ratePerSec) !== messages)
    throw new UsageError(`cannot fit ${messages} messages at ${rate} msg/s; use --duration`);
  return { durationMs, ratePerSec };
}

export interface GeneratorOptions {
  /** Everything but `partitions`, which the caller knows (the topic's, or --partitions). */
  params: Omit<GeneratorParams, 'partitions'>;
  /** Target wall-clock rate, msg/s (the --rate value). */
  rate: number;
}

/** Generator parameters from flags and environment. `nowMs` supplies the default --start. */
export function generatorOptions(
  values: FlagValues,
  env: Env,
  nowMs: number,
  defaults: { durationMs?: number; requireStart?: boolean } = {},
): GeneratorOptions {
  const get = (flag: GeneratorFlag) => pick(values, env, flag, GENERATOR_FLAGS[flag]);
  const orDefault = <T>(
    flag: GeneratorFlag,
    parse: (g: { text: string; source: string }) => T,
    d: T,
  ): T => {
    const g = get(flag);
    return g === undefined ? d : parse(g);
  };
  const devices = orDefault('devices', (g) => intValue(g, 1, 2 ** 31 - 1), 1000);
  const firstSensorId = orDefault('first-sensor-id', (g) => intValue(g, 0, 2 ** 31 - 1), 1);
  const rate = orDefault('rate', positiveNumber, 30_000);
  const seed = orDefault('seed', (g) => intValue(g, 0, 2 ** 32 - 1), 1);
  const profile = orDefault('profile', loadProfile, 'stress');
  const startGot = get('start');
  if (startGot === undefined && defaults.requireStart === true)
    throw new UsageError(
      '--start is required (the event-time start of the stream) unless --params is given',
    );
  const start = startGot === undefined ? alignToMinute(nowMs) : startMs(startGot, nowMs);
  const maxOutOfOrdernessMs = orDefault(
    'max-out-of-orderness',
    (g) => durationMs(g, { allowZero: true }),
    5_000,
  );
  const shares = {
    late: orDefault('late', fraction, 0),
    outOfOrder: orDefault('out-of-order', fraction, 0),
    duplicate: orDefault('duplicate', fraction, 0),
    legacyJson: orDefault('legacy-json', fraction, 0),
    malformed: orDefault('malformed', fraction, 0),
  };
  const total = Object.values(shares).reduce((a, b) => a + b, 0);
  if (total > 1)
    throw new UsageError(
      `--late + --out-of-order + --duplicate + --legacy-json + --malformed add up to ${total}; they must add up to at most 1`,
    );

  const durationGot = get('duration');
  const messagesGot = get('messages');
  if (durationGot !== undefined && messagesGot !== undefined)
    throw new UsageError(
      `give either --duration (${durationGot.text}) or --messages (${messagesGot.text}), not both`,
    );
  let span: { durationMs: number; ratePerSec: number };
  if (messagesGot !== undefined) span = spanForMessages(intValue(messagesGot, 1), rate);
  else {
    const d = durationGot === undefined ? (defaults.durationMs ?? 60_000) : durationMs(durationGot);
    span = { durationMs: d, ratePerSec: rate };
    if (Math.floor((d * rate) / 1000) < 1)
      throw new UsageError(`--duration ${d} ms at --rate ${rate} msg/s makes no message`);
  }
  const params = {
    seed,
    profile,
    devices,
    firstSensorId,
    startMs: start,
    durationMs: span.durationMs,
    ratePerSec: span.ratePerSec,
    maxOutOfOrdernessMs,
    shares,
  };
  checkParams({ ...params, partitions: 1 });
  return { params, rate };
}

/** resolveParams' own checks, reported as a UsageError. */
export function checkParams(p: GeneratorParams): GeneratorParams {
  try {
    return resolveParams(p);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * Generator parameters from a `--params` file's JSON: either the parameters themselves or
 * loadgen's summary (`{ …, params: {…} }`). Throws UsageError when it is neither.
 */
export function paramsFromJson(value: unknown, source: string): GeneratorParams {
  const obj = isRecord(value) && isRecord(value.params) ? value.params : value;
  if (!isRecord(obj))
    throw new UsageError(`${source}: expected a JSON object of generator parameters`);
  const required = [
    'seed',
    'devices',
    'firstSensorId',
    'startMs',
    'durationMs',
    'ratePerSec',
    'partitions',
    'maxOutOfOrdernessMs',
  ] as const;
  const missing = required.filter((k) => typeof obj[k] !== 'number');
  if (missing.length > 0)
    throw new UsageError(
      `${source}: missing or non-numeric ${missing.join(', ')} (write it with loadgen --params-out)`,
    );
  const shares = isRecord(obj.shares) ? obj.shares : {};
  const share = (k: string): number => {
    const v = shares[k];
    if (v === undefined) return 0;
    if (typeof v !== 'number') throw new UsageError(`${source}: shares.${k} must be a number`);
    return v;
  };
  const profile = obj.profile ?? 'stress';
  if (typeof profile !== 'string' || !LOAD_PROFILES.includes(profile as LoadProfile)) {
    throw new UsageError(`${source}: profile must be one of ${LOAD_PROFILES.join(', ')}`);
  }
  const p: GeneratorParams = {
    seed: obj.seed as number,
    profile: profile as LoadProfile,
    devices: obj.devices as number,
    firstSensorId: obj.firstSensorId as number,
    startMs: obj.startMs as number,
    durationMs: obj.durationMs as number,
    ratePerSec: obj.ratePerSec as number,
    partitions: obj.partitions as number,
    maxOutOfOrdernessMs: obj.maxOutOfOrdernessMs as number,
    shares: {
      late: share('late'),
      outOfOrder: share('outOfOrder'),
      duplicate: share('duplicate'),
      legacyJson: share('legacyJson'),
      malformed: share('malformed'),
    },
  };
  try {
    return resolveParams(p);
  } catch (err) {
    throw new UsageError(`${source}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function loadProfile(g: { text: string; source: string }): LoadProfile {
  if (!LOAD_PROFILES.includes(g.text as LoadProfile)) {
    throw new UsageError(
      `${g.source}: expected one of ${LOAD_PROFILES.join(', ')}, got "${g.text}"`,
    );
  }
  return g.text as LoadProfile;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
