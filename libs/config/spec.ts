// A declarative environment spec: each variable is a Field that knows how to parse its text,
// what a valid value looks like, and whether it has a default. loadConfig() turns a spec and
// an environment into a frozen, typed object, or one ConfigError naming every bad variable.

import { readFileSync } from 'node:fs';

import { normalizeClickHouseUrl } from './clickhouse-url.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { redactUrls } from './redact.ts';

/** Thrown by a field parser: `reason` completes the sentence `NAME="value" <reason>`. */
export class InvalidValue extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidValue';
  }
}

/** What a field is, for error messages, documentation and deployment checks. */
export interface FieldInfo {
  /** What a valid value looks like, e.g. "an integer from 1 to 65535". */
  readonly expected: string;
  /** A valid value to show in error messages. */
  readonly example: string;
  /** The default, written as it would be in the environment. */
  readonly default: string | undefined;
  /** The default suits only a developer machine (loopback servers); deployments must set it. */
  readonly localDefault: boolean;
  /** Unset is fine: the value is then undefined. */
  readonly optional: boolean;
  /** Never print the value (tokens, keys, passwords). */
  readonly secret: boolean;
  /**
   * `NAME_FILE` may name a file holding the value instead (a Kubernetes Secret volume, a
   * docker secret); setting both is an error. Every secret has it.
   */
  readonly fileTwin: boolean;
  /**
   * Unset is fine when this URL variable carries credentials itself (`redis://:pw@host`):
   * the older way of giving them keeps working.
   */
  readonly unlessCredentialsIn: string | undefined;
  /** Unset is fine when this other variable (or its `_FILE` twin) is set: another way to log in. */
  readonly unlessSet: string | undefined;
  /**
   * Set, this variable is a whole way of authenticating on its own: setting it together with
   * these variables (or their `_FILE` twins), or with credentials inside `credentialsIn`'s URL,
   * is an error.
   */
  readonly insteadOf:
    | { readonly variables: readonly string[]; readonly credentialsIn: string | undefined }
    | undefined;
  readonly description: string | undefined;
}

interface FieldDef<T> extends FieldInfo {
  readonly parse: (raw: string) => T;
  /** Secrets derived from the value that redact() must mask too (a file's secret content). */
  // A method, so Field<string> still fits a Spec's Field<unknown> (methods are bivariant).
  secretsIn?(value: T): readonly string[];
}

export class Field<T> {
  readonly #def: FieldDef<T>;

  constructor(def: FieldDef<T>) {
    this.#def = def;
  }

  get info(): FieldInfo {
    const { parse: _parse, secretsIn: _secretsIn, ...info } = this.#def;
    return info;
  }

  /** The value to use when the variable is unset, written as in the environment ("1s", "9464"). */
  default(raw: string): Field<T> {
    return new Field({ ...this.#def, default: raw, localDefault: false });
  }

  /**
   * A default that only fits a developer machine (servers on 127.0.0.1). Services start with it
   * locally; deployment manifests must set the variable (see deploymentVariables()).
   */
  localDefault(raw: string): Field<T> {
    return new Field({ ...this.#def, default: raw, localDefault: true });
  }

  optional(): Field<T | undefined> {
    const def: FieldDef<T | undefined> = { ...this.#def, optional: true };
    return new Field(def);
  }

  secret(): Field<T> {
    return new Field({ ...this.#def, secret: true, fileTwin: true });
  }

  /** `NAME_FILE` may give the value (secrets have it already; for user names next to them). */
  fileTwin(): Field<T> {
    return new Field({ ...this.#def, fileTwin: true });
  }

  /**
   * A credential that must be set unless the URL in `urlVariable` carries one
   * (`scheme://user:password@host`); the value is then undefined.
   */
  credentialFor(urlVariable: string, opts: { unlessSet?: string } = {}): Field<T | undefined> {
    const def: FieldDef<T | undefined> = {
      ...this.#def,
      unlessCredentialsIn: urlVariable,
      unlessSet: opts.unlessSet,
    };
    return new Field(def);
  }

  /**
   * This variable authenticates on its own (a credentials file): set together with any of
   * `variables`, or with credentials inside the `credentialsIn` URL, it is an error.
   */
  insteadOf(variables: readonly string[], opts: { credentialsIn?: string } = {}): Field<T> {
    return new Field({
      ...this.#def,
      insteadOf: { variables, credentialsIn: opts.credentialsIn },
    });
  }

  /** Values derived from this one that redact() must mask (what a secret file holds). */
  secretsIn(derive: (value: T) => readonly string[]): Field<T> {
    return new Field({ ...this.#def, secretsIn: derive });
  }

  /** The secrets secretValues() must mask for this field's parsed value. */
  secretsOf(value: T): readonly string[] {
    const def = this.#def;
    const own = def.secret && typeof value === 'string' && value !== '' ? [value] : [];
    return value === undefined || def.secretsIn === undefined
      ? own
      : [...own, ...def.secretsIn(value)];
  }

  example(raw: string): Field<T> {
    return new Field({ ...this.#def, example: raw });
  }

  describe(text: string): Field<T> {
    return new Field({ ...this.#def, description: text });
  }

  /**
   * Parses this variable's text (undefined when unset), or its `NAME_FILE` twin's file; `env`
   * is the whole environment (for the twin and credentialFor). Throws ConfigIssue-shaped errors.
   */
  read(name: string, raw: string | undefined, env: Env = {}): T {
    const def = this.#def;
    if (def.fileTwin) raw = this.#fromFileTwin(name, raw, env[`${name}_FILE`]);
    // An empty value counts as unset: manifests often carry `NAME=` for "not configured".
    const text = raw === undefined || raw.trim() === '' ? undefined : raw.trim();
    if (text === undefined) {
      if (def.default !== undefined) return this.#parseDefault(name, def.default);
      if (def.optional) return undefined as T;
      const url = def.unlessCredentialsIn;
      if (url !== undefined && urlHasCredentials(env[url])) return undefined as T;
      if (def.unlessSet !== undefined && isSet(env, def.unlessSet)) return undefined as T;
      const twin = def.fileTwin ? ` (nor ${name}_FILE)` : '';
      throw new IssueError({ name, problem: `is not set${twin}`, field: this.info });
    }
    if (def.insteadOf !== undefined) this.#checkAlone(name, def.insteadOf, env);
    try {
      return def.parse(text);
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      const shown = def.secret ? '<redacted>' : JSON.stringify(text);
      throw new IssueError({ name, problem: `=${shown} ${err.reason}`, field: this.info });
    }
  }

  #checkAlone(name: string, insteadOf: NonNullable<FieldInfo['insteadOf']>, env: Env): void {
    const others = insteadOf.variables.filter((v) => isSet(env, v));
    const url = insteadOf.credentialsIn;
    const all = [...others];
    if (url !== undefined && urlHasCredentials(env[url])) all.push(`the credentials inside ${url}`);
    if (all.length === 0) return;
    const listed = all.join(' and ');
    throw new IssueError({
      name,
      problem:
        `is set together with ${listed}; authenticate one way only: ` +
        `unset ${name}, or unset ${listed}`,
      field: this.info,
    });
  }

  #fromFileTwin(name: string, raw: string | undefined, file: string | undefined) {
    if (file === undefined || file.trim() === '') return raw;
    if (raw !== undefined && raw.trim() !== '') {
      throw new IssueError({
        name,
        problem: `and ${name}_FILE are both set; set only one of them`,
        field: this.info,
      });
    }
    try {
      // A file from `echo secret > f` ends with a newline that is not part of the secret.
      return readFileSync(file.trim(), 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new IssueError({
        name: `${name}_FILE`,
        problem: `=${JSON.stringify(file.trim())} cannot be read (${code})`,
        field: { ...this.info, expected: `the path of a readable file holding ${name}` },
      });
    }
  }

  #parseDefault(name: string, raw: string): T {
    try {
      return this.#def.parse(raw);
    } catch (err) {
      const reason = err instanceof InvalidValue ? err.reason : String(err);
      // A bad default is a bug in the spec, not in the environment.
      throw new Error(`config spec bug: the default of ${name} (${JSON.stringify(raw)}) ${reason}`);
    }
  }
}

export type Spec = Readonly<Record<string, Field<unknown>>>;

/** The typed, frozen configuration a spec produces. */
export type ConfigOf<S extends Spec> = {
  readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never;
};

export type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigIssue {
  readonly name: string;
  /** Completes `NAME<problem>`: ' is not set' or '="abc" is not an integer'. */
  readonly problem: string;
  readonly field: FieldInfo;
}

class IssueError extends Error {
  constructor(readonly issue: ConfigIssue) {
    super(issue.name);
  }
}

/** One line naming each bad variable, what was wrong, and a valid example. */
export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`Invalid configuration: ${issues.map(formatIssue).join('; ')}`);
    this.name = 'ConfigError';
  }

  /** The names of the variables at fault. */
  get variables(): string[] {
    return this.issues.map((i) => i.name);
  }
}

function formatIssue({ name, problem, field }: ConfigIssue): string {
  const sep = problem.startsWith('=') ? '' : ' ';
  return `${name}${sep}${problem} (expected ${field.expected}, e.g. ${name}=${field.example})`;
}

/** Parses every variable of the spec from env; throws one ConfigError listing all problems. */
export function loadConfig<S extends Spec>(spec: S, env: Env): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  for (const [name, field] of Object.entries(spec)) {
    try {
      out[name] = field.read(name, env[name], env);
    } catch (err) {
      if (!(err instanceof IssueError)) throw err;
      issues.push(err.issue);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze(out) as ConfigOf<S>;
}

/** Variables a deployment manifest must set: no default, or a default only fit for loopback. */
export function deploymentVariables(spec: Spec): string[] {
  return Object.entries(spec)
    .filter(([, f]) => !f.info.optional && (f.info.default === undefined || f.info.localDefault))
    .map(([name]) => name);
}

/**
 * The secret values of a configuration (secret fields, passwords inside URLs): what redact()
 * must mask in everything the process prints.
 */
export function secretValues<S extends Spec>(spec: S, config: ConfigOf<S>): string[] {
  const out: string[] = [];
  for (const [name, field] of Object.entries(spec)) {
    const value: unknown = (config as Record<string, unknown>)[name];
    out.push(...field.secretsOf(value));
    if (typeof value !== 'string' || value === '' || field.info.secret) continue;
    if (value.includes('@')) {
      try {
        const u = new URL(value);
        if (u.password !== '') out.push(decodeURIComponent(u.password), u.password);
        else if (u.username !== '' && /^pulsar/.test(u.protocol)) out.push(u.username);
      } catch {
        // not a URL: nothing to add
      }
    }
  }
  return [...new Set(out)];
}

/** The configuration as loggable fields: secrets redacted, passwords in URLs masked. */
export function describeConfig<S extends Spec>(
  spec: S,
  config: ConfigOf<S>,
): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [name, field] of Object.entries(spec)) {
    const value: unknown = (config as Record<string, unknown>)[name];
    if (value === undefined) out[name] = null;
    else if (field.info.secret) out[name] = '<redacted>';
    else if (typeof value === 'number' || typeof value === 'boolean') out[name] = value;
    else out[name] = redactUrls(String(value));
  }
  return out;
}

// ---- builders ------------------------------------------------------------------------------

interface Base<T> {
  expected: string;
  example: string;
  parse: (raw: string) => T;
}

function field<T>({ expected, example, parse }: Base<T>): Field<T> {
  return new Field({
    expected,
    example,
    parse,
    default: undefined,
    localDefault: false,
    optional: false,
    secret: false,
    fileTwin: false,
    unlessCredentialsIn: undefined,
    unlessSet: undefined,
    insteadOf: undefined,
    description: undefined,
  });
}

/** Whether a variable, or its `NAME_FILE` twin, has a non-empty value. */
function isSet(env: Env, name: string): boolean {
  return [env[name], env[`${name}_FILE`]].some((v) => v !== undefined && v.trim() !== '');
}

/** Whether a URL names a user or a password (`scheme://user:password@host`, JDBC's `?user=`). */
function urlHasCredentials(text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    const u = new URL(text.trim());
    return u.username !== '' || u.password !== '' || /[?&](user|password)=/.test(u.search);
  } catch {
    return false;
  }
}

/** A field with its own parser; throw InvalidValue(reason) from `parse` to reject a value. */
export const custom = field;

export function str(opts: { pattern?: RegExp; expected?: string; example?: string } = {}) {
  const { pattern } = opts;
  return field<string>({
    expected: opts.expected ?? (pattern ? `text matching ${pattern}` : 'a non-empty string'),
    example: opts.example ?? 'value',
    parse: (raw) => {
      if (pattern && !pattern.test(raw)) throw new InvalidValue(`does not match ${pattern}`);
      return raw;
    },
  });
}

function range(
  min: number | undefined,
  max: number | undefined,
  show: (n: number) => string = String,
): string {
  if (min !== undefined && max !== undefined) return ` from ${show(min)} to ${show(max)}`;
  if (min !== undefined) return ` of at least ${show(min)}`;
  if (max !== undefined) return ` of at most ${show(max)}`;
  return '';
}

function checkRange(
  n: number,
  min?: number,
  max?: number,
  show: (n: number) => string = String,
): void {
  if (min !== undefined && n < min) throw new InvalidValue(`is below the minimum ${show(min)}`);
  if (max !== undefined && n > max) throw new InvalidValue(`is above the maximum ${show(max)}`);
}

export function int(opts: { min?: number; max?: number } = {}) {
  const { min, max } = opts;
  return field<number>({
    expected: `an integer${range(min, max)}`,
    example: String(min ?? 1),
    parse: (raw) => {
      if (!/^[-+]?\d+$/.test(raw)) throw new InvalidValue('is not an integer');
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw new InvalidValue('is too large');
      checkRange(n, min, max);
      return n;
    },
  });
}

export function num(opts: { min?: number; max?: number } = {}) {
  const { min, max } = opts;
  return field<number>({
    expected: `a number${range(min, max)}`,
    example: String(min ?? 1.5),
    parse: (raw) => {
      const n = Number(raw);
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw) || !Number.isFinite(n)) {
        throw new InvalidValue('is not a number');
      }
      checkRange(n, min, max);
      return n;
    },
  });
}

/** A duration such as "500ms", "1s", "60s", "5m", "1h"; the value is in milliseconds. */
export function duration(opts: { min?: string; max?: string } = {}) {
  const bound = (text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const ms = parseDuration(text);
    if (ms === undefined) throw new Error(`config spec bug: bad duration bound ${text}`);
    return ms;
  };
  const min = bound(opts.min);
  const max = bound(opts.max);
  return field<number>({
    expected: `a duration like 500ms, 1s or 5m${range(min, max, formatDuration)}`,
    example: opts.min ?? '1s',
    parse: (raw) => {
      const ms = parseDuration(raw);
      if (ms === undefined)
        throw new InvalidValue('is not a duration (a number and ms, s, m or h)');
      checkRange(ms, min, max, formatDuration);
      return ms;
    },
  });
}

/** An absolute URL; `protocols` lists the accepted schemes with their colon ("http:"). */
export function url(opts: { protocols?: readonly string[]; example?: string } = {}) {
  const protocols = opts.protocols ?? ['http:', 'https:'];
  const schemes = protocols.map((p) => `${p}//`).join(' or ');
  return field<string>({
    expected: `a ${schemes} URL`,
    example: opts.example ?? `${protocols[0] ?? 'http:'}//host:port`,
    parse: (raw) => {
      let parsed: URL;
      try {
        parsed = new URL(raw);
      } catch {
        throw new InvalidValue('is not a URL');
      }
      if (!protocols.includes(parsed.protocol)) {
        throw new InvalidValue(`has scheme ${parsed.protocol}// instead of ${schemes}`);
      }
      if (parsed.hostname === '') throw new InvalidValue('has no host');
      return raw;
    },
  });
}

export function oneOf<const V extends readonly [string, ...string[]]>(values: V) {
  return field<V[number]>({
    expected: `one of ${values.join(', ')}`,
    example: values[0],
    parse: (raw) => {
      const found = values.find((v) => v === raw);
      if (found === undefined) throw new InvalidValue('is not an accepted value');
      return found;
    },
  });
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

export function bool() {
  return field<boolean>({
    expected: 'true or false',
    example: 'true',
    parse: (raw) => {
      const lower = raw.toLowerCase();
      if (TRUE.includes(lower)) return true;
      if (FALSE.includes(lower)) return false;
      throw new InvalidValue('is not a boolean');
    },
  });
}

/** A Pulsar topic name in full form: persistent://tenant/namespace/topic. */
export function topic() {
  return str({
    pattern: /^(persistent|non-persistent):\/\/[^/\s]+\/[^/\s]+\/[^/\s]+$/,
    expected: 'a full topic name persistent://tenant/namespace/topic',
    example: 'persistent://public/default/iot-sensor-data',
  });
}

/** Seed nodes of a cluster, `host:port` separated by commas (at least one). */
export function hostPorts() {
  return field<readonly { host: string; port: number }[]>({
    expected: 'host:port pairs separated by commas',
    example: 'redis-0:6379,redis-1:6379,redis-2:6379',
    parse: (raw) =>
      raw.split(',').map((part) => {
        const m = /^([^\s:,]+):(\d{1,5})$/.exec(part.trim());
        const port = Number(m?.[2]);
        if (!m || port < 1 || port > 65535) {
          throw new InvalidValue(`has ${JSON.stringify(part)}, which is not host:port`);
        }
        return { host: m[1]!, port };
      }),
  });
}

/** ClickHouse's HTTP URL; the seed's jdbc:clickhouse://host:port/db form is converted. */
export function clickhouseUrl() {
  return field<string>({
    expected: 'an http(s):// or jdbc:clickhouse:// URL',
    example: 'http://clickhouse:8123/benchmark',
    parse: (raw) => {
      const normalized = normalizeClickHouseUrl(raw);
      if (normalized === undefined) throw new InvalidValue('is not a ClickHouse URL');
      return normalized;
    },
  });
}
