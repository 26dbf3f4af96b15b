// Produce then consume N messages (AVRO-sized payloads, keyed, batched) through the real
// broker and report rates. Run: node --import tsx bench/pulsar-throughput.ts [count] [codec]
import { mkdirSync, writeFileSync } from 'node:fs';
import { PulsarClient, type CompressionName } from '../libs/pulsar/index.ts';
import { stack } from '../test/support/stack.ts';
import { auth } from '../test/support/stack.ts';

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 100_000);
  const compression = (process.argv[3] ?? 'lz4') as CompressionName;
  const client = new PulsarClient({ ...auth.pulsar, serviceUrl: stack.pulsarUrl });
  const topic = `bench-${Date.now()}`;
  const consumer = await client.subscribe({
    topic,
    subscription: 'bench',
    initialPosition: 'Earliest',
    receiverQueueSize: 5000,
  });
  const producer = await client.createProducer({
    topic,
    compression,
    blockIfQueueFull: true,
    maxPendingMessages: 20_000,
  });
  const payload = Buffer.alloc(120, 7);
  let t0 = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    sends.push(producer.send({ payload, key: `sensor_${i % 1000}`, eventTime: Date.now() }));
  }
  await Promise.all(sends);
  const produceSec = (performance.now() - t0) / 1000;

  t0 = performance.now();
  let received = 0;
  while (received < count) {
    const batch = await consumer.receiveBatch(1000, 1000);
    if (batch.length === 0) throw new Error(`consumer stalled at ${received}/${count}`);
    for (const m of batch) void consumer.ack(m);
    received += batch.length;
  }
  const consumeSec = (performance.now() - t0) / 1000;
  await client.close();
  const result = {
    count,
    compression,
    payloadBytes: payload.length,
    produceMsgPerSec: Math.round(count / produceSec),
    consumeMsgPerSec: Math.round(count / consumeSec),
    node: process.version,
    at: new Date().toISOString(),
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/pulsar-throughput.json', JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result));
}

await main();
