// Pulsar codecs on the pipeline's own payloads: ratio and single-core MiB/s of compress and
// decompress for none/lz4/snappy/zlib/zstd (ZLIB and ZSTD are node:zlib's). Inputs
// are what a producer batches: the load generator's AVRO readings, and the same readings
// as legacy JSON, concatenated up to a 128 KiB batch and up to 1 MiB. A few seconds, no
// servers. Results: bench/results/compression.json.
//
//   npm run bench -- compression
import { mkdirSync, writeFileSync } from 'node:fs';
import { generateStream } from '@iot/loadgen';
import {
  COMPRESSION_TYPES,
  compress,
  decompress,
  type CompressionName,
} from '../libs/pulsar/compression/index.ts';

const CODECS: CompressionName[] = ['lz4', 'snappy', 'zlib', 'zstd'];

function payloads(legacyJson: number, bytes: number): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  const shares = { late: 0, outOfOrder: 0, duplicate: 0, legacyJson, malformed: 0 };
  for (const m of generateStream({ devices: 1000, durationMs: 600_000, shares })) {
    if (size + m.payload.length > bytes) break;
    parts.push(m.payload);
    size += m.payload.length;
  }
  return Buffer.concat(parts);
}

/** Mean ms of fn over at least 0.3 s, after a warm-up. */
function timeMs(fn: () => void): number {
  for (let i = 0; i < 3; i++) fn();
  let runs = 0;
  const start = performance.now();
  while (performance.now() - start < 300) {
    fn();
    runs++;
  }
  return (performance.now() - start) / runs;
}

const inputs = {
  'avro 128 KiB': payloads(0, 128 * 1024),
  'avro 1 MiB': payloads(0, 1024 * 1024),
  'json 128 KiB': payloads(1, 128 * 1024),
  'json 1 MiB': payloads(1, 1024 * 1024),
};
const results: Record<string, unknown>[] = [];
for (const [input, data] of Object.entries(inputs)) {
  const mib = data.length / 1024 / 1024;
  for (const codec of CODECS) {
    const type = COMPRESSION_TYPES[codec];
    const packed = compress(type, data);
    if (!decompress(type, packed, data.length).equals(data)) throw new Error(`${codec} broke`);
    const row = {
      input,
      codec,
      bytes: data.length,
      compressed: packed.length,
      ratio: +(data.length / packed.length).toFixed(2),
      compressMiBps: Math.round(mib / (timeMs(() => compress(type, data)) / 1000)),
      decompressMiBps: Math.round(
        mib / (timeMs(() => decompress(type, packed, data.length)) / 1000),
      ),
    };
    results.push(row);
    console.log(
      `${input.padEnd(13)} ${codec.padEnd(7)} ratio ${String(row.ratio).padStart(5)}  ` +
        `compress ${String(row.compressMiBps).padStart(4)} MiB/s  decompress ${String(row.decompressMiBps).padStart(4)} MiB/s`,
    );
  }
}
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(
  new URL('compression.json', dir),
  `${JSON.stringify({ node: process.version, at: new Date().toISOString(), results }, null, 2)}\n`,
);
