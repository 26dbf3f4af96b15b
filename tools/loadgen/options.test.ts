import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageCount } from './generator.ts';
import {
  UsageError,
  alignToMinute,
  durationMs,
  generatorOptions,
  paramsFromJson,
  parseFlags,
  spanForMessages,
} from './options.ts';

const FLAGS = ['devices', 'rate', 'duration', 'messages', 'seed', 'start', 'late', 'malformed'];
const NOW = Date.UTC(2025, 2, 4, 10, 17, 42, 123);
const parse = (argv: string[], env: Record<string, string> = {}) =>
  generatorOptions(parseFlags(argv, FLAGS), env, NOW);

test('defaults: 1000 devices, 30000 msg/s, 1 minute from now aligned down to the minute', () => {
  const { params, rate } = parse([]);
  assert.equal(rate, 30_000);
  assert.equal(params.devices, 1000);
  assert.equal(params.startMs, Date.UTC(2025, 2, 4, 10, 17));
  assert.equal(params.durationMs, 60_000);
  assert.equal(params.maxOutOfOrdernessMs, 5_000);
  assert.deepEqual(params.shares, {
    late: 0,
    outOfOrder: 0,
    duplicate: 0,
    legacyJson: 0,
    malformed: 0,
  });
});

test('flags win over environment variables', () => {
  const { params, rate } = parse(['--rate', '500'], { LOADGEN_RATE: '100', LOADGEN_DEVICES: '7' });
  assert.equal(rate, 500);
  assert.equal(params.devices, 7);
});

test('--start accepts ISO, epoch ms and now; --duration takes units; shares take %', () => {
  assert.equal(parse(['--start', '2024-01-01T00:00:00Z']).params.startMs, Date.UTC(2024, 0, 1));
  assert.equal(parse(['--start', '1700000000000']).params.startMs, 1_700_000_000_000);
  assert.equal(parse(['--start', 'now']).params.startMs, alignToMinute(NOW));
  assert.equal(parse(['--duration', '2m']).params.durationMs, 120_000);
  assert.equal(parse(['--late', '1%']).params.shares.late, 0.01);
});

test('--messages gives exactly that many messages at (about) the rate', () => {
  for (const [m, r] of [
    [2000, 30_000],
    [1, 30_000],
    [12345, 777],
    [9_000_000, 30_000],
    [2000, 3],
  ] as const) {
    const span = spanForMessages(m, r);
    assert.equal(messageCount({ ...parse([]).params, ...span, partitions: 1 }), m, `${m}@${r}`);
  }
  const { params } = parse(['--messages', '2000', '--rate', '100000']);
  assert.equal(params.durationMs, 20);
});

test('bad flags are UsageErrors naming the flag', () => {
  const cases: [string[], RegExp][] = [
    [['--rate', 'fast'], /--rate "fast": must be a number > 0/],
    [['--devices', '0'], /--devices "0": must be an integer from 1/],
    [['--duration', '2 minutes'], /--duration "2 minutes": must be a duration/],
    [['--late', '1.5'], /--late "1.5": must be a fraction/],
    [['--late', '0.6', '--malformed', '0.6'], /add up to 1.2/],
    [['--duration', '1m', '--messages', '5'], /either --duration .* or --messages/],
    [['--start', 'yesterday'], /--start "yesterday": must be an ISO date-time/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--rate'], /--rate/],
  ];
  for (const [argv, re] of cases)
    assert.throws(
      () => parse(argv),
      (e: unknown) => e instanceof UsageError && re.test(e.message),
    );
  assert.throws(
    () => generatorOptions(parseFlags([], FLAGS), {}, NOW, { requireStart: true }),
    /--start is required/,
  );
});

test('durations: bare numbers only where allowed', () => {
  const d = (text: string, o = {}) => durationMs({ text, source: '--wait' }, o);
  assert.equal(d('90', { bare: 's' }), 90_000);
  assert.equal(d('1.5s'), 1500);
  assert.throws(() => d('90'), UsageError);
  assert.throws(() => d('0s'), UsageError);
  assert.equal(d('0', { bare: 's', allowZero: true }), 0);
});

test('paramsFromJson reads bare parameters or a loadgen summary', () => {
  const params = { ...parse(['--late', '0.01']).params, partitions: 4 };
  assert.deepEqual(paramsFromJson(params, 'f'), params);
  assert.deepEqual(paramsFromJson({ messages: 10, params }, 'f'), params);
  assert.throws(
    () => paramsFromJson({ devices: 3 }, 'f.json'),
    /f\.json: missing or non-numeric seed/,
  );
  assert.throws(() => paramsFromJson([1], 'f.json'), UsageError);
  assert.throws(
    () => paramsFromJson({ ...params, shares: { late: 2 } }, 'f.json'),
    /f\.json: shares must be/,
  );
});
