import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  ConfigError,
  bool,
  deploymentVariables,
  describeConfig,
  duration,
  hostPorts,
  int,
  loadConfig,
  num,
  oneOf,
  secretValues,
  str,
  topic,
  url,
} from './spec.ts';

const spec = {
  PORT: int({ min: 1, max: 65535 }).default('9464'),
  FLUSH: duration({ min: '10ms', max: '1m' }).default('1s'),
  LEVEL: oneOf(['debug', 'info'] as const).default('info'),
  RATIO: num({ min: 0, max: 1 }).default('0.5'),
  ENABLED: bool().default('false'),
  TARGET: url({ protocols: ['pulsar:'] }).localDefault('pulsar://127.0.0.1:6650'),
  TOKEN: str().optional().secret(),
  BUCKET: str({ example: 'iot-checkpoints' }),
};

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('defaults and parsing produce a frozen typed object', () => {
  const config = loadConfig(spec, { BUCKET: 'b1' });
  assert.deepEqual(config, {
    PORT: 9464,
    FLUSH: 1000,
    LEVEL: 'info',
    RATIO: 0.5,
    ENABLED: false,
    TARGET: 'pulsar://127.0.0.1:6650',
    TOKEN: undefined,
    BUCKET: 'b1',
  });
  assert.ok(Object.isFrozen(config));
  const port: number = config.PORT;
  const level: 'debug' | 'info' = config.LEVEL;
  assert.equal(port + level.length, 9468);
});

test('values from the environment override defaults', () => {
  const config = loadConfig(spec, {
    PORT: '8080',
    FLUSH: '500ms',
    LEVEL: 'debug',
    RATIO: '1',
    ENABLED: 'yes',
    TARGET: 'pulsar://broker:6650',
    TOKEN: 's3cr3t',
    BUCKET: 'b2',
  });
  assert.equal(config.PORT, 8080);
  assert.equal(config.FLUSH, 500);
  assert.equal(config.LEVEL, 'debug');
  assert.equal(config.RATIO, 1);
  assert.equal(config.ENABLED, true);
  assert.equal(config.TOKEN, 's3cr3t');
});

test('an empty value counts as unset', () => {
  const config = loadConfig(spec, { BUCKET: 'b', PORT: '', TOKEN: '  ' });
  assert.equal(config.PORT, 9464);
  assert.equal(config.TOKEN, undefined);
});

test('a missing required variable is named with an example', () => {
  const err = errorOf(() => loadConfig(spec, {}));
  assert.equal(
    err.message,
    'Invalid configuration: BUCKET is not set (expected a non-empty string, e.g. BUCKET=iot-checkpoints)',
  );
  assert.deepEqual(err.variables, ['BUCKET']);
});

test('a bad integer says what was wrong and shows a valid value', () => {
  const err = errorOf(() => loadConfig(spec, { BUCKET: 'b', PORT: 'abc' }));
  assert.equal(
    err.message,
    'Invalid configuration: PORT="abc" is not an integer (expected an integer from 1 to 65535, e.g. PORT=1)',
  );
});

test('range checks apply to integers, numbers and durations', () => {
  assert.match(
    errorOf(() => loadConfig(spec, { BUCKET: 'b', PORT: '70000' })).message,
    /PORT="70000" is above the maximum 65535/,
  );
  assert.match(
    errorOf(() => loadConfig(spec, { BUCKET: 'b', PORT: '0' })).message,
    /is below the minimum 1/,
  );
  assert.match(
    errorOf(() => loadConfig(spec, { BUCKET: 'b', RATIO: '1.5' })).message,
    /RATIO="1.5" is above the maximum 1/,
  );
  assert.match(
    errorOf(() => loadConfig(spec, { BUCKET: 'b', FLUSH: '5ms' })).message,
    /FLUSH="5ms" is below the minimum 10ms \(expected a duration like 500ms, 1s or 5m from 10ms to 1m, e\.g\. FLUSH=10ms\)/,
  );
  assert.match(
    errorOf(() => loadConfig(spec, { BUCKET: 'b', FLUSH: '2m' })).message,
    /above the maximum 1m/,
  );
});

test('malformed values of every kind are rejected', () => {
  const bad: Record<string, string> = {
    PORT: '12.5',
    FLUSH: '10',
    LEVEL: 'verbose',
    RATIO: 'half',
    ENABLED: 'maybe',
    TARGET: 'http://broker:6650',
  };
  const err = errorOf(() => loadConfig(spec, { BUCKET: 'b', ...bad }));
  assert.deepEqual(err.variables, Object.keys(bad));
  assert.equal(err.message.split('\n').length, 1, 'one line');
  assert.match(
    err.message,
    /LEVEL="verbose" is not an accepted value \(expected one of debug, info, e\.g\. LEVEL=debug\)/,
  );
  assert.match(
    err.message,
    /TARGET="http:\/\/broker:6650" has scheme http:\/\/ instead of pulsar:\/\//,
  );
  assert.match(err.message, /FLUSH="10" is not a duration/);
});

test('secret values never appear in errors', () => {
  const secretSpec = { KEY: str({ pattern: /^AK/ }).secret() };
  const err = errorOf(() => loadConfig(secretSpec, { KEY: 'hunter2' }));
  assert.doesNotMatch(err.message, /hunter2/);
  assert.match(err.message, /KEY=<redacted> does not match/);
});

test('topics must be full Pulsar names', () => {
  const t = { T: topic() };
  assert.equal(
    loadConfig(t, { T: 'persistent://public/default/x' }).T,
    'persistent://public/default/x',
  );
  assert.match(
    errorOf(() => loadConfig(t, { T: 'iot-sensor-data' })).message,
    /T="iot-sensor-data" does not match/,
  );
});

test('cluster seed nodes are host:port pairs separated by commas', () => {
  const n = { NODES: hostPorts().optional() };
  assert.deepEqual(loadConfig(n, { NODES: 'redis-0:6379, 10.0.0.2:7001' }).NODES, [
    { host: 'redis-0', port: 6379 },
    { host: '10.0.0.2', port: 7001 },
  ]);
  assert.equal(loadConfig(n, {}).NODES, undefined);
  for (const bad of ['redis-0', 'redis-0:0', 'a:1,,b:2', 'a:99999', 'redis://a:1']) {
    assert.match(
      errorOf(() => loadConfig(n, { NODES: bad })).message,
      /NODES=.* which is not host:port \(expected host:port pairs/,
      bad,
    );
  }
});

test('a bad default is reported as a bug in the spec', () => {
  const broken = { N: int().default('ten') };
  assert.throws(
    () => loadConfig(broken, {}),
    /config spec bug: the default of N \("ten"\) is not an integer/,
  );
});

test('deploymentVariables lists required and local-only variables', () => {
  assert.deepEqual(deploymentVariables(spec), ['TARGET', 'BUCKET']);
});

test('describeConfig redacts secrets and URL passwords', () => {
  const s = { TOKEN: str().secret(), DB: url(), N: int() };
  const config = loadConfig(s, {
    TOKEN: 'tok',
    DB: 'http://iot:pw@clickhouse:8123/benchmark',
    N: '3',
  });
  assert.deepEqual(describeConfig(s, config), {
    TOKEN: '<redacted>',
    DB: 'http://iot:***@clickhouse:8123/benchmark',
    N: 3,
  });
});

test('a variable that authenticates alone: the others become optional, and both set is one issue', () => {
  const auth = {
    URL: url({ protocols: ['nats:'] }).default('nats://h:1'),
    USER: str().fileTwin().credentialFor('URL', { unlessSet: 'KEYFILE' }),
    KEYFILE: str()
      .optional()
      .insteadOf(['USER'], { credentialsIn: 'URL' })
      .secretsIn((v) => [`key-in-${v}`]),
    PORT: int(),
  };
  assert.equal(loadConfig(auth, { KEYFILE: 'k', PORT: '1' }).USER, undefined);
  assert.throws(() => loadConfig(auth, { PORT: '1' }), /USER is not set/);
  assert.throws(
    () => loadConfig(auth, { KEYFILE: 'k', USER: 'u', URL: 'nats://a:b@h:1', PORT: 'x' }),
    (err: ConfigError) => {
      assert.deepEqual(err.variables, ['KEYFILE', 'PORT'], 'every problem at once');
      assert.match(
        err.message,
        /KEYFILE is set together with USER and the credentials inside URL; authenticate one way only: unset KEYFILE, or unset USER/,
      );
      return true;
    },
  );
  const config = loadConfig(auth, { KEYFILE: 'k', PORT: '1' });
  assert.deepEqual(secretValues(auth, config), ['key-in-k']);
});
