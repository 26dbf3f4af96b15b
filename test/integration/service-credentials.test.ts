// A service started without one of its credentials stops at once, with one line naming the
// variable (libs/config: credentials have no defaults); one with a wrong credential is
// refused by the server and says which variables to check, without printing the secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnService } from '@iot/observability/testing';
import { envAs, stack, uniqueName } from '../support/stack.ts';

const CREDENTIALS: Record<string, string[]> = {
  ingest: ['PULSAR_AUTH_TOKEN', 'REDIS_PASSWORD', 'NATS_USER', 'NATS_PASSWORD'],
  aggregator: ['PULSAR_AUTH_TOKEN', 'REDIS_PASSWORD', 'NATS_USER', 'NATS_PASSWORD'],
  writer: ['PULSAR_AUTH_TOKEN', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD'],
  checkpointer: ['PULSAR_AUTH_TOKEN', 'NATS_USER', 'NATS_PASSWORD'],
};

const main = (service: string) => new URL(`../../services/${service}/src/main.ts`, import.meta.url);

for (const [service, variables] of Object.entries(CREDENTIALS)) {
  test(`${service}: without each credential it exits 1 with one line naming it`, async () => {
    for (const name of variables) {
      // Empty counts as unset, and overrides what this shell may export.
      const proc = spawnService(main(service), {
        ...envAs('services'),
        HTTP_PORT: '0',
        [name]: '',
      });
      const { code } = await proc.exited;
      assert.equal(code, 1, `${service} without ${name}`);
      const lines = proc.stderr().trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line, got:\n${proc.stderr()}`);
      const line = JSON.parse(lines[0] ?? '') as { msg: string; variables: string[] };
      assert.deepEqual(line.variables, [name]);
      assert.match(
        line.msg,
        new RegExp(`^Invalid configuration: ${name} is not set \\(nor ${name}_FILE\\)`),
      );
    }
  });
}

test('writer: a wrong ClickHouse password stops it with one line naming the variables, not the password', async () => {
  const wrong = `wrong-${uniqueName('pw')}`;
  const proc = spawnService(main('writer'), {
    ...envAs('services'),
    HTTP_PORT: '0',
    CLICKHOUSE_URL: `${stack.clickhouseUrl}/${uniqueName('w').replaceAll('-', '_')}`,
    CLICKHOUSE_PASSWORD: wrong,
  });
  const { code } = await proc.exited;
  assert.equal(code, 1);
  const errors = proc.lines.filter((l) => l.level === 'error');
  assert.equal(errors.length, 1, proc.stdout());
  assert.match(String(errors[0]?.msg), /ClickHouse refused .*CLICKHOUSE_PASSWORD/);
  assert.ok(!(proc.stdout() + proc.stderr()).includes(wrong), 'the password is never printed');
});
