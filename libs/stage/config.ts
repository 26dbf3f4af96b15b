// The settings every partitioned stage (ingest, aggregator) reads, beside its own topics and
// operator settings: what `connectStage` and `runPartitionedStage` need (StageConfig).
import {
  controlPlaneSpec,
  envelopeSpec,
  natsSpec,
  pulsarSpec,
  redisSpec,
  s3Spec,
  str,
} from '@iot/config';

export function partitionedStageSpec(subscription: string) {
  return {
    ...pulsarSpec,
    // Failover subscription on the input: each partition has one active consumer.
    PULSAR_SUBSCRIPTION: str({ example: subscription }).default(subscription),
    ...redisSpec,
    // Prefix of this stage's Redis keys (state of several pipelines can share one Redis).
    STATE_NAMESPACE: str({ pattern: /^[A-Za-z0-9_.-]+$/, example: 'iot' }).default('iot'),
    ...natsSpec,
    ...s3Spec,
    ...controlPlaneSpec,
    ...envelopeSpec,
  };
}
