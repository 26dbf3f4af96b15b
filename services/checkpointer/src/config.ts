// checkpointer's environment (DESIGN.md §5, §6): triggers snapshot epochs over NATS, writes
// each epoch's manifest to S3 once every owner reported, keeps the last K epochs.
import { duration, int, natsSpec, s3Spec, serviceSpec } from '@iot/config';

export const spec = {
  ...serviceSpec(9467),
  ...natsSpec,
  ...s3Spec,
  // The seed checkpointed every minute.
  CHECKPOINT_INTERVAL: duration({ min: '1s' }).default('60s'),
  // An epoch not fully reported by then is abandoned (no manifest).
  CHECKPOINT_TIMEOUT: duration({ min: '1s' }).default('30s'),
  // Complete epochs kept (savepoints are never expired).
  CHECKPOINT_RETAIN: int({ min: 1, max: 1000 }).default('3'),
};
