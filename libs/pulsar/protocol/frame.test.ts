import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  COMMAND_FIELDS,
  CommandType,
  MessageMetadataSpec,
  type BaseCommand,
  type MessageMetadata,
} from './commands.ts';
import {
  FrameDecoder,
  FrameTooLargeError,
  decodeFrame,
  encodeCommand,
  encodePayloadCommand,
  MAGIC_BROKER_ENTRY_METADATA,
} from './frame.ts';
import { ProtocolError } from './protobuf.ts';
import { decodeBatch, encodeBatchItem } from './batch.ts';
import { Random, randomMessage } from '../testing/random.ts';

function randomCommand(rnd: Random): BaseCommand {
  const [type, field, spec] = rnd.pick(COMMAND_FIELDS);
  return { type, [field]: randomMessage(rnd, spec) } as unknown as BaseCommand;
}

test('PING frame has the documented layout', () => {
  const frame = encodeCommand({ type: CommandType.PING, ping: {} });
  // totalSize 6, commandSize 2, BaseCommand{type=18, ping={}} = 08 12 92 01 00
  assert.equal(frame.readUInt32BE(0), frame.length - 4);
  assert.equal(frame.readUInt32BE(4), frame.length - 8);
  assert.deepEqual(decodeFrame(frame.subarray(4)).command, { type: CommandType.PING, ping: {} });
});

test('property: any simple command frame decodes to the same command (seeded)', () => {
  for (let seed = 1; seed <= 500; seed++) {
    const rnd = new Random(seed);
    const cmd = randomCommand(rnd);
    const frame = encodeCommand(cmd);
    const frames = new FrameDecoder().push(frame);
    assert.equal(frames.length, 1);
    assert.deepStrictEqual(decodeFrame(frames[0]!).command, cmd, `seed ${seed}`);
  }
});

test('property: payload frames round-trip with a valid checksum, across chunk splits', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const rnd = new Random(seed);
    const cmd = randomCommand(rnd);
    const metadata = randomMessage(rnd, MessageMetadataSpec) as unknown as MessageMetadata;
    const payload = rnd.bytes(200);
    const frame = encodePayloadCommand(cmd, metadata, payload);
    // feed the stream in random pieces, two frames back to back
    const stream = Buffer.concat([frame, frame]);
    const decoder = new FrameDecoder();
    const out: Buffer[] = [];
    let p = 0;
    while (p < stream.length) {
      const n = 1 + rnd.int(40);
      out.push(...decoder.push(stream.subarray(p, p + n)));
      p += n;
    }
    assert.equal(out.length, 2, `seed ${seed}`);
    for (const f of out) {
      const decoded = decodeFrame(f);
      assert.deepStrictEqual(decoded.command, cmd, `seed ${seed}`);
      assert.deepStrictEqual(decoded.metadata, metadata, `seed ${seed}`);
      assert.deepStrictEqual(decoded.payload, payload, `seed ${seed}`);
      assert.equal(decoded.checksumOk, true);
    }
  }
});

test('a corrupted payload is reported through checksumOk=false', () => {
  const frame = encodePayloadCommand(
    { type: CommandType.SEND, send: { producer_id: 1n, sequence_id: 2n } },
    { producer_name: 'p', sequence_id: 2n, publish_time: 3n },
    Buffer.from('hello'),
  );
  frame[frame.length - 1] ^= 0xff;
  assert.equal(decodeFrame(frame.subarray(4)).checksumOk, false);
});

test('broker entry metadata before the checksum magic is skipped and exposed', () => {
  const frame = encodePayloadCommand(
    { type: CommandType.SEND, send: { producer_id: 1n, sequence_id: 2n } },
    { producer_name: 'p', sequence_id: 2n, publish_time: 3n },
    Buffer.from('x'),
  );
  const body = frame.subarray(4);
  const cmdSize = body.readUInt32BE(0);
  const bem = Buffer.from([0x08, 0x2a, 0x10, 0x07]); // broker_timestamp 42, index 7
  const header = Buffer.alloc(6);
  header.writeUInt16BE(MAGIC_BROKER_ENTRY_METADATA, 0);
  header.writeUInt32BE(bem.length, 2);
  const withBem = Buffer.concat([
    body.subarray(0, 4 + cmdSize),
    header,
    bem,
    body.subarray(4 + cmdSize),
  ]);
  const decoded = decodeFrame(withBem);
  assert.deepEqual(decoded.brokerEntryMetadata, { broker_timestamp: 42n, index: 7n });
  assert.deepEqual(decoded.payload, Buffer.from('x'));
  assert.equal(decoded.checksumOk, true);
});

test('property: truncated frames give ProtocolError, never another error', () => {
  for (let seed = 1; seed <= 500; seed++) {
    const rnd = new Random(seed);
    const frame = encodePayloadCommand(
      randomCommand(rnd),
      randomMessage(rnd, MessageMetadataSpec) as unknown as MessageMetadata,
      rnd.bytes(50),
    ).subarray(4);
    const cut = rnd.int(frame.length);
    try {
      decodeFrame(frame.subarray(0, cut));
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `seed ${seed}: ${String(err)}`);
    }
  }
});

test('property: random bytes through the stream decoder end cleanly', () => {
  for (let seed = 1; seed <= 1000; seed++) {
    const rnd = new Random(seed);
    const decoder = new FrameDecoder(1 << 16);
    try {
      for (const f of decoder.push(rnd.bytes(300))) decodeFrame(f);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `seed ${seed}: ${String(err)}`);
    }
  }
});

test('a frame above the size limit fails with a clear message', () => {
  const decoder = new FrameDecoder(1024);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(4096, 0);
  assert.throws(() => decoder.push(header), FrameTooLargeError);
  // "HTTP" as a size: what happens when the admin port is used by mistake
  assert.throws(
    () => new FrameDecoder().push(Buffer.from('HTTP/1.1 400 Bad Request')),
    /binary port \(6650\)/,
  );
});

test('batch items round-trip', () => {
  const items = [
    encodeBatchItem(
      { partition_key: 'k1', properties: [{ key: 'a', value: 'b' }], event_time: 5n },
      Buffer.from('one'),
    ),
    encodeBatchItem({}, Buffer.alloc(0)),
    encodeBatchItem({ sequence_id: 9n }, Buffer.from('three')),
  ];
  const decoded = decodeBatch(Buffer.concat(items), 3);
  assert.equal(decoded.length, 3);
  assert.equal(decoded[0]!.partitionKey, 'k1');
  assert.deepEqual(decoded[0]!.properties, { a: 'b' });
  assert.equal(decoded[0]!.eventTime, 5);
  assert.equal(decoded[0]!.payload.toString(), 'one');
  assert.equal(decoded[1]!.payload.length, 0);
  assert.equal(decoded[2]!.sequenceId, 9n);
  assert.throws(() => decodeBatch(Buffer.concat(items), 4), ProtocolError);
});
