import { testServiceLifecycle } from '@iot/observability/testing';

testServiceLifecycle('checkpointer', new URL('./main.ts', import.meta.url));
