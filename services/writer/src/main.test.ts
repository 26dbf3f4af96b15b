import { testServiceLifecycle } from '@iot/observability/testing';

testServiceLifecycle('writer', new URL('./main.ts', import.meta.url));
