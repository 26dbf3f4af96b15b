// iotctl's environment: the same variables the services read, so one shell setup serves both.
import {
  controlPlaneSpec,
  int,
  natsSpec,
  pulsarSpec,
  redisSpec,
  s3Spec,
  str,
  topics,
} from '@iot/config';

// `topics ensure`: partitions of the two keyed topics (each stage scales up to its input's).
const partitions = () => int({ min: 1, max: 1024 }).default('4');

export const spec = {
  PULSAR_ADMIN_URL: pulsarSpec.PULSAR_ADMIN_URL,
  PULSAR_AUTH_TOKEN: pulsarSpec.PULSAR_AUTH_TOKEN,
  PULSAR_TLS_TRUST_CERTS: pulsarSpec.PULSAR_TLS_TRUST_CERTS,
  ...topics,
  PULSAR_TOPIC_PARTITIONS: partitions(),
  RECORDS_TOPIC_PARTITIONS: partitions(),
  ...natsSpec,
  ...s3Spec,
  ...redisSpec,
  ...controlPlaneSpec,
  STATE_NAMESPACE: str({ pattern: /^[A-Za-z0-9_.-]+$/, example: 'iot' }).default('iot'),
};
