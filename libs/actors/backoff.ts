// Restart delays: the project's one backoff helper (see @iot/pulsar/backoff for why it lives
// there), re-exported so supervisors and their users keep importing it from @iot/actors.
export { backoffDelay, type BackoffOptions } from '@iot/pulsar/backoff';
