// ZSTD (RFC 8878) in TypeScript, for Nodes without zlib.zstd* (before 22.15).
//   zstd-decode.ts  frames, blocks, literals, sequences, checksum: the complete format
//   zstd-encode.ts  LZ77, Huffman literals, fitted FSE sequence tables: ≈ `zstd -1`
//   zstd-codes.ts   sequence code tables · fse.ts  FSE and bit streams
//   huffman.ts      Huffman literals · xxhash64.ts  the content checksum
export { zstdDecompress } from './zstd-decode.ts';
export { zstdCompress } from './zstd-encode.ts';
