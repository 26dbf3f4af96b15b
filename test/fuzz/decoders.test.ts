// Short fuzz run in `npm test`: every decoder of outside bytes, a few hundred inputs each
// (random, mutated valid samples, and the samples themselves), held to the invariant in
// targets.ts. The long run is `npm run fuzz -- --runs N` (bench/fuzz.ts).
import { test } from 'node:test';
import fc from 'fast-check';
import { FUZZ_TARGETS, runChecked } from './targets.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

for (const target of FUZZ_TARGETS) {
  test(`fuzz: ${target.name} returns or throws its own decode error, within its allocation bound`, () => {
    fc.assert(
      fc.property(target.inputs, (input) => runChecked(target, input)),
      { numRuns: RUNS },
    );
  });
}
