// The long fuzz run: every target of test/fuzz/targets.ts (the same invariant as the short
// run in `npm test`: the decoder returns or throws its own typed error, within its
// allocation bound) for N inputs each. Reports inputs tried, crashes (must be 0), the
// slowest single input and peak memory per target. Results: bench/results/fuzz.json.
//
//   npm run fuzz -- --runs 1000000 [--target "legacy JSON"] [--seed 42]
// Exits 1 when any target crashed; the counterexample (shrunk by fast-check) is printed and
// kept in the results with the seed and path that replay it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { FUZZ_TARGETS, runChecked } from '../test/fuzz/targets.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100000' },
    target: { type: 'string' },
    seed: { type: 'string' },
  },
});
const runs = Number(values.runs);
if (!Number.isSafeInteger(runs) || runs < 1) {
  throw new Error(`--runs must be a positive integer, got ${values.runs}`);
}
const seed =
  values.seed === undefined ? Date.now() ^ (Math.random() * 2 ** 31) : Number(values.seed);
const targets = FUZZ_TARGETS.filter((t) => values.target === undefined || t.name === values.target);
if (targets.length === 0) {
  throw new Error(
    `no target "${values.target}"; targets: ${FUZZ_TARGETS.map((t) => t.name).join(', ')}`,
  );
}

const MiB = 1024 * 1024;

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

/**
 * Inputs per fc.check call. Between calls the event loop turns: node:zlib frees an engine
 * that threw only on a later tick (its close is deferred), so one synchronous run of a
 * million corrupt ZLIB/ZSTD inputs would hold ~20 KiB of native memory each, a measurement
 * artefact (a consumer decodes in socket callbacks, ticking all the time).
 */
const CHUNK = 10_000;

const results: TargetResult[] = [];
for (const target of targets) {
  let tried = 0;
  let slowest = 0;
  let peakHeap = 0;
  let failure: fc.RunDetails<[unknown]> | undefined;
  const start = performance.now();
  for (let chunk = 0; tried < runs && failure === undefined; chunk++) {
    const outcome = fc.check(
      fc.property(target.inputs, (input) => {
        const t0 = performance.now();
        runChecked(target, input);
        const took = performance.now() - t0;
        if (took > slowest) slowest = took;
      }),
      { numRuns: Math.min(CHUNK, runs - tried), seed: seed + chunk },
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
