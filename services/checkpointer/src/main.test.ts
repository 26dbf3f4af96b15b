import { testServiceLifecycle } from '@iot/observability/testing';
import { useLifecycleTestEnv } from './lifecycle-test-env.ts';

await useLifecycleTestEnv();
testServiceLifecycle('checkpointer', new URL('./main.ts', import.meta.url));
