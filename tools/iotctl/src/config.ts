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

// Each command talks to some of the servers only (`topics ensure`, a pod's init step, needs
// Pulsar's token and nothing else): a credential is optional here, and a server that refuses
// the connection gets a line naming the variable to check.
export const spec = {
  PULSAR_ADMIN_URL: pulsarSpec.PULSAR_ADMIN_URL,
  PULSAR_AUTH_TOKEN: pulsarSpec.PULSAR_AUTH_TOKEN.optional(),
  PULSAR_TLS_TRUST_CERTS: pulsarSpec.PULSAR_TLS_TRUST_CERTS,
  ...topics,
  PULSAR_TOPIC_PARTITIONS: partitions(),
  RECORDS_TOPIC_PARTITIONS: partitions(),
  ...natsSpec,
  NATS_USER: natsSpec.NATS_USER.optional(),
  NATS_PASSWORD: natsSpec.NATS_PASSWORD.optional(),
  ...s3Spec,
  ...redisSpec,
  REDIS_PASSWORD: redisSpec.REDIS_PASSWORD.optional(),
  ...controlPlaneSpec,
  STATE_NAMESPACE: str({ pattern: /^[A-Za-z0-9_.-]+$/, example: 'iot' }).default('iot'),
};
