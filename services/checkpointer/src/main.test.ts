import { testServiceLifecycle } from '@iot/observability/testing';
import { auth, envAs } from '../../../test/support/stack.ts';
import { useLifecycleTestEnv } from './lifecycle-test-env.ts';

await useLifecycleTestEnv(auth.pulsar.authToken);
testServiceLifecycle('checkpointer', new URL('./main.ts', import.meta.url), envAs('services'));
