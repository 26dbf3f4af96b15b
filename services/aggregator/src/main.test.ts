import { testServiceLifecycle } from '@iot/observability/testing';

testServiceLifecycle('aggregator', new URL('./main.ts', import.meta.url));
