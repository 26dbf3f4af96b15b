// The official Apache Pulsar Java client (4.2.4) and pulsar-perf, fetched from Maven Central
// by test/interop/java/pom.xml into the machine-wide stack dir (never into the repository),
// plus our small Java program (test/interop/java/src) compiled there with javac. Used by the
// pulsar-java-* interop tests and bench/pulsar.ts. Idempotent: a warm install costs one stat.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auth, repoRoot, stackDir } from '../support/stack.ts';

const javaDir = fileURLToPath(new URL('./java/', import.meta.url));
const pom = join(javaDir, 'pom.xml');
const settings = join(repoRoot, 'stack/pulsar/settings.xml');
const sourceRoot = join(javaDir, 'src');
export const javaClientDir = join(stackDir, 'java-client');

export const INTEROP_MAIN = 'io.iotpipeline.interop.PulsarInterop';

/**
 * Sensor-like JSON with varied digits that both sides put in their payloads, so ZSTD batches
 * carry Huffman-coded literals and fitted FSE tables. Integers only: PulsarInterop.readings
 * builds the same text in Java.
 */
export function sensorReadings(i: number): string {
  const one = (k: number): string =>
    `{"sensor":${(i * 7919 + k * 104729) % 100000},"t":${(i * 31 + k * 17) % 5000}}`;
  return `[${Array.from({ length: 4 + (i % 5) }, (_, k) => one(k)).join(',')}]`;
}
export const PERF_MAIN = 'org.apache.pulsar.testclient.PulsarPerfTestTool';

function hashOf(files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(f).update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

function javaSources(dir = sourceRoot): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? javaSources(join(dir, e.name))
      : e.name.endsWith('.java')
        ? [join(dir, e.name)]
        : [],
  );
}

function run(cmd: string, args: string[], what: string, log: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  writeFileSync(log, `${cmd} ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (r.error || r.status !== 0) {
    throw new Error(`${what} failed (${r.error?.message ?? `exit ${r.status}`}); see ${log}`);
  }
}

export interface JavaClient {
  /** Classpath with the Pulsar jars and our compiled interop program. */
  classpath: string;
}

let cached: JavaClient | undefined;

/**
 * Fetches the jars (first time: about a minute on a cold Maven cache) and compiles the interop
 * program when its sources changed. Throws with the log's path when Maven, javac or the network
 * fail.
 */
export function ensureJavaClient(): JavaClient {
  if (cached) return cached;
  mkdirSync(javaClientDir, { recursive: true });
  const lib = join(javaClientDir, 'lib');
  const libMarker = join(lib, `.complete-${hashOf([pom])}`);
  if (!existsSync(libMarker)) {
    rmSync(lib, { recursive: true, force: true });
    run(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        pom,
        '-s',
        settings,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${lib}`,
        '-DincludeScope=runtime',
      ],
      'fetching the Pulsar Java client from Maven Central (mvn)',
      join(javaClientDir, 'mvn.log'),
    );
    writeFileSync(libMarker, '');
  }
  const sources = javaSources();
  const classes = join(javaClientDir, 'classes');
  const classesMarker = join(classes, `.complete-${hashOf([pom, ...sources])}`);
  if (!existsSync(classesMarker)) {
    rmSync(classes, { recursive: true, force: true });
    mkdirSync(classes, { recursive: true });
    run(
      'javac',
      ['-nowarn', '-cp', `${lib}/*`, '-d', classes, ...sources],
      'compiling the Java interop program (javac)',
      join(javaClientDir, 'javac.log'),
    );
    writeFileSync(classesMarker, '');
  }
  cached = { classpath: `${classes}:${lib}/*` };
  return cached;
}

/** Why the Java side cannot run here (no java/mvn/javac), or undefined when it can. */
export function javaUnavailable(): string | undefined {
  for (const tool of ['java', 'javac', 'mvn']) {
    const r = spawnSync(tool, ['-version'], { encoding: 'utf8' });
    if (r.error) return `${tool} not found (${r.error.message})`;
  }
  return undefined;
}

export interface JavaRun {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs a main class on the Java client's classpath; resolves when the JVM exits. */
export function runJava(
  mainClass: string,
  args: string[],
  options: {
    timeoutMs?: number;
    heap?: string;
    logLevel?: 'WARN' | 'INFO';
    onStdoutLine?: (line: string) => void;
  } = {},
): Promise<JavaRun> {
  const { classpath } = ensureJavaClient();
  const jvm = [
    `-Xmx${options.heap ?? '512m'}`,
    '-XX:+UseG1GC',
    // The client's Netty wants these on Java 17, as the broker does (stack/stack.sh).
    '--add-opens',
    'java.base/java.nio=ALL-UNNAMED',
    '--add-opens',
    'java.base/jdk.internal.misc=ALL-UNNAMED',
    '-Dio.netty.tryReflectionSetAccessible=true',
    `-Dlog4j2.level=${options.logLevel ?? 'WARN'}`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('java', [...jvm, '-cp', classpath, mainClass, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // PulsarInterop's token (the broker authenticates every client).
      env: { ...process.env, PULSAR_AUTH_TOKEN: auth.pulsar.authToken },
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!options.onStdoutLine) return;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) options.onStdoutLine(line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

/** Runs the interop program and fails with its stderr unless it exits 0. */
export async function runInterop(args: string[], timeoutMs = 60_000): Promise<string[]> {
  const r = await runJava(INTEROP_MAIN, args, { timeoutMs });
  if (r.code !== 0) {
    throw new Error(`java ${INTEROP_MAIN} ${args[0]} exited ${r.code}:\n${r.stderr.slice(-4000)}`);
  }
  return r.stdout.split('\n').filter((l) => l.startsWith('{'));
}

/**
 * The codec and batch size the broker stored for one entry (admin REST `ledger/L/entry/E`
 * headers), to prove a producer really compressed and batched rather than silently not.
 */
export async function storedEntry(
  adminUrl: string,
  topic: string,
  ledgerId: bigint,
  entryId: bigint,
): Promise<{ compression: string; batchSize: number }> {
  const path = topic.replace('://', '/');
  const res = await fetch(`${adminUrl}/admin/v2/${path}/ledger/${ledgerId}/entry/${entryId}`, {
    headers: auth.pulsarHeaders,
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`admin: entry ${ledgerId}:${entryId} of ${topic}: ${res.status}`);
  return {
    compression: res.headers.get('x-pulsar-compression') ?? 'NONE',
    batchSize: Number(res.headers.get('x-pulsar-num-batch-message') ?? '0'),
  };
}
