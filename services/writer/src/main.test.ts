import { testServiceLifecycle } from '@iot/observability/testing';
import { envAs } from '../../../test/support/stack.ts';

testServiceLifecycle('writer', new URL('./main.ts', import.meta.url), envAs('services'));
