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
export { DlqTally, formatCounts, type DlqEntry } from './dlq.ts';
export { MAX_DEVICES_IN_SQL, scopeFilter, streamScope, type Scope } from './scope.ts';
export {
  AlertDigest,
  alertSignature,
  compareAlerts,
  type AlertComparison,
  type DigestedAlert,
} from './alert-digest.ts';
