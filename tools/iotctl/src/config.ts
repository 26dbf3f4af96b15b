// iotctl's environment: the same variables the services read, so one shell setup serves both.
import { controlPlaneSpec, natsSpec, redisSpec, s3Spec, str } from '@iot/config';

export const spec = {
  ...natsSpec,
  ...s3Spec,
  ...redisSpec,
  ...controlPlaneSpec,
  STATE_NAMESPACE: str({ pattern: /^[A-Za-z0-9_.-]+$/, example: 'iot' }).default('iot'),
};
