export {
  expectedFromMessages,
  expectedFromParams,
  type Expected,
  type ExpectedCounts,
  type ExpectOptions,
} from './expected.ts';
export {
  compareCounts,
  compareRows,
  formatComparison,
  isClean,
  type Comparison,
  type CompareOptions,
  type FieldDiff,
  type Mismatch,
  type RowKey,
} from './compare.ts';
