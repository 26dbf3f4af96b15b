// iotctl's environment: the same variables the services read, so one shell setup serves both.
import { natsSpec, redisSpec, s3Spec, str } from '@iot/config';

export const spec = {
  ...natsSpec,
  ...s3Spec,
  ...redisSpec,
  CONTROL_SUBJECT_PREFIX: str({
    pattern: /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/,
    example: 'iot',
  }).default('iot'),
  CHECKPOINT_S3_PREFIX: str({ pattern: /^[A-Za-z0-9._/-]*$/, example: 'prod' }).default(''),
  STATE_NAMESPACE: str({ pattern: /^[A-Za-z0-9_.-]+$/, example: 'iot' }).default('iot'),
};
