// An S3Client configured the way checkpoint storage needs it. S3Proxy (the local stack) and
// several S3-compatible servers reject the SDK's default flexible checksums, hence WHEN_REQUIRED.
import { S3Client } from '@aws-sdk/client-s3';

export interface S3Settings {
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** Per-request timeout; an unreachable server fails instead of hanging. */
  requestTimeoutMs?: number;
}

export function createS3Client(s: S3Settings): S3Client {
  return new S3Client({
    ...(s.endpoint === undefined ? {} : { endpoint: s.endpoint }),
    region: s.region,
    forcePathStyle: s.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: Math.min(s.requestTimeoutMs ?? 10_000, 5_000),
      requestTimeout: s.requestTimeoutMs ?? 10_000,
    },
  });
}
