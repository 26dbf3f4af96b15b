// The long fuzz run: every target of test/fuzz/targets.ts (the same invariant as the short
// run in `npm test`: the decoder returns or throws its own typed error, within its
// allocation bound, and terminates) for N inputs each. Reports inputs tried, crashes (must
// be 0), the slowest single input and peak memory per target. Results:
// bench/results/fuzz.json.
//
//   npm run fuzz -- --runs 1000000 [--target "legacy JSON"] [--seed 42] [--hang-seconds 30]
//
// Each target runs in a worker thread, watched from here: a worker that makes no progress
// for --hang-seconds is a hang (a crash), stopped, and its last input (bytes, as base64) is
// reported. Exits 1 when any target crashed; the counterexample (shrunk by fast-check) is
// printed and kept in the results with the seed and path that replay it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { FUZZ_TARGETS, runChecked, type FuzzTarget } from '../test/fuzz/targets.ts';

const MiB = 1024 * 1024;
/**
 * Inputs per fc.check call. Between calls the event loop turns: node:zlib frees an engine
 * that threw only on a later tick (its close is deferred), so one synchronous run of a
 * million corrupt ZLIB/ZSTD inputs would hold ~20 KiB of native memory each, a measurement
 * artefact (a consumer decodes in socket callbacks, ticking all the time).
 */
const CHUNK = 10_000;
/** Shared with a worker: [inputs tried, last input's length], then the last input's bytes. */
const HEADER = 8;
const LAST_INPUT_BYTES = 8192;

interface TargetResult {
  target: string;
  inputs: number;
  crashes: number;
  seconds: number;
  inputsPerSecond: number;
  slowestInputMs: number;
  peakHeapMiB: number;
  counterexample?: string;
  error?: string;
  replay?: { seed: number; path: string };
}

interface Job {
  name: string;
  runs: number;
  seed: number;
  shared: SharedArrayBuffer;
}

function preview(input: unknown): string {
  const text = Buffer.isBuffer(input)
    ? `base64:${input.toString('base64')}`
    : JSON.stringify(input, (_k, v: unknown) =>
        typeof v === 'bigint'
          ? `${v}n`
          : v instanceof Uint8Array
            ? `base64:${Buffer.from(v).toString('base64')}`
            : v,
      );
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/** The bytes of an input (or of its first Buffer field), for a hang report. */
function bytesOf(input: unknown): Uint8Array | undefined {
  if (input instanceof Uint8Array) return input;
  if (typeof input === 'string') return Buffer.from(input);
  if (typeof input === 'object' && input !== null) {
    return Object.values(input).find((v): v is Uint8Array => v instanceof Uint8Array);
  }
  return undefined;
}

async function fuzzTarget(target: FuzzTarget, job: Job): Promise<TargetResult> {
  const progress = new Int32Array(job.shared, 0, 2);
  const last = new Uint8Array(job.shared, HEADER, LAST_INPUT_BYTES);
  let tried = 0;
  let slowest = 0;
  let peakHeap = 0;
  let failure: fc.RunDetails<[unknown]> | undefined;
  const start = performance.now();
  for (let chunk = 0; tried < job.runs && failure === undefined; chunk++) {
    const outcome = fc.check(
      fc.property(target.inputs, (input) => {
        const bytes = bytesOf(input);
        if (bytes !== undefined) {
          last.set(bytes.subarray(0, LAST_INPUT_BYTES));
          Atomics.store(progress, 1, bytes.length);
        }
        Atomics.add(progress, 0, 1);
        const t0 = performance.now();
        runChecked(target, input);
        const took = performance.now() - t0;
        if (took > slowest) slowest = took;
      }),
      { numRuns: Math.min(CHUNK, job.runs - tried), seed: job.seed + chunk },
    );
    tried += outcome.numRuns;
    if (outcome.failed) failure = outcome;
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    await setImmediate();
  }
  const seconds = (performance.now() - start) / 1000;
  const r: TargetResult = {
    target: target.name,
    inputs: tried,
    crashes: failure ? 1 : 0,
    seconds: Math.round(seconds * 10) / 10,
    inputsPerSecond: Math.round(tried / seconds),
    slowestInputMs: Math.round(slowest * 10) / 10,
    peakHeapMiB: Math.round((peakHeap / MiB) * 10) / 10,
  };
  if (failure) {
    r.counterexample = preview(failure.counterexample?.[0]);
    r.error = String(failure.errorInstance);
    r.replay = { seed: failure.seed, path: failure.counterexamplePath ?? '' };
  }
  return r;
}

/** Runs one target in a worker; a worker without progress for `hangMs` is a hang. */
function watched(name: string, runs: number, seed: number, hangMs: number): Promise<TargetResult> {
  const shared = new SharedArrayBuffer(HEADER + LAST_INPUT_BYTES);
  const progress = new Int32Array(shared, 0, 2);
  const job: Job = { name, runs, seed, shared };
  const worker = new Worker(new URL(import.meta.url), {
    workerData: job,
    execArgv: ['--import', 'tsx'],
  });
  const start = performance.now();
  return new Promise((resolve, reject) => {
    let seen = -1;
    let since = performance.now();
    const watchdog = setInterval(() => {
      const n = Atomics.load(progress, 0);
      if (n !== seen) {
        seen = n;
        since = performance.now();
        return;
      }
      if (performance.now() - since < hangMs) return;
      clearInterval(watchdog);
      const length = Atomics.load(progress, 1);
      const bytes = Buffer.from(new Uint8Array(shared, HEADER, Math.min(length, LAST_INPUT_BYTES)));
      const seconds = (performance.now() - start) / 1000;
      void worker.terminate();
      resolve({
        target: name,
        inputs: n,
        crashes: 1,
        seconds: Math.round(seconds * 10) / 10,
        inputsPerSecond: Math.round(n / seconds),
        slowestInputMs: hangMs,
        peakHeapMiB: 0,
        error: `no progress for ${hangMs / 1000} s at input ${n}: it does not terminate`,
        counterexample: `base64:${bytes.toString('base64')}${length > LAST_INPUT_BYTES ? '…' : ''}`,
        replay: { seed, path: '' },
      });
    }, 1000);
    worker.once('message', (r: TargetResult) => {
      clearInterval(watchdog);
      resolve(r);
    });
    worker.once('error', (err) => {
      clearInterval(watchdog);
      reject(err);
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '100000' },
      target: { type: 'string' },
      seed: { type: 'string' },
      'hang-seconds': { type: 'string', default: '30' },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isSafeInteger(runs) || runs < 1) {
    throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  }
  const seed =
    values.seed === undefined
      ? (Date.now() ^ (Math.random() * 2 ** 31)) >>> 0
      : Number(values.seed);
  const hangMs = Number(values['hang-seconds']) * 1000;
  const targets = FUZZ_TARGETS.filter(
    (t) => values.target === undefined || t.name === values.target,
  );
  if (targets.length === 0) {
    throw new Error(
      `no target "${values.target}"; targets: ${FUZZ_TARGETS.map((t) => t.name).join(', ')}`,
    );
  }
  const results: TargetResult[] = [];
  for (const target of targets) {
    const r = await watched(target.name, runs, seed, hangMs);
    results.push(r);
    process.stdout.write(
      `${target.name.padEnd(42)} ${String(r.inputs).padStart(9)} inputs  ${r.crashes} crashes  ` +
        `${r.inputsPerSecond}/s  slowest ${r.slowestInputMs} ms  heap ≤ ${r.peakHeapMiB} MiB  ` +
        `RSS ≤ ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB\n`,
    );
    if (r.error) process.stdout.write(`  ${r.error}\n  input: ${r.counterexample}\n`);
  }
  const report = {
    runsPerTarget: runs,
    seed,
    node: process.version,
    totalInputs: results.reduce((n, r) => n + r.inputs, 0),
    crashes: results.reduce((n, r) => n + r.crashes, 0),
    // maxRSS of this process covers its worker threads (one at a time).
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    targets: results,
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('./results/fuzz.json', import.meta.url),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  process.stdout.write(
    `${report.totalInputs} inputs, ${report.crashes} crashes, peak RSS ${report.peakRssMiB} MiB → bench/results/fuzz.json\n`,
  );
  process.exit(report.crashes === 0 ? 0 : 1);
}

if (isMainThread) {
  await main();
} else {
  const job = workerData as Job;
  const target = FUZZ_TARGETS.find((t) => t.name === job.name)!;
  parentPort!.postMessage(await fuzzTarget(target, job));
}
