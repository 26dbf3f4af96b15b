// `npm run demo`: the README's main job. The stack is already up (the npm script runs
// `stack.sh up` first). The end-to-end run lands with the pipeline issue; until then this says
// plainly what is missing and exits non-zero rather than pretending.
const missing = [
  'ingest service (decode, event time, watermarks, DLQ)',
  'aggregator service (windows in Redis, exactly-once commit)',
  'writer service (batched idempotent ClickHouse inserts)',
  'loadgen and verify tools',
];

process.stderr.write(
  [
    'demo: the local stack is up (npm run stack -- status).',
    'demo: the end-to-end pipeline is not there yet; still to land:',
    ...missing.map((m) => `  - ${m}`),
    '',
  ].join('\n'),
);
process.exitCode = 1;
