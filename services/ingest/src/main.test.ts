import { testServiceLifecycle } from '@iot/observability/testing';

testServiceLifecycle('ingest', new URL('./main.ts', import.meta.url));
