// For tests that spawn the checkpointer with this process's environment (its source and
// compiled lifecycle tests): a test namespace, subjects, lease bucket and S3 prefix, so it never
// touches a real pipeline's (it sets Pulsar retention and campaigns for the lease at start).

/** Creates the test namespace (idempotent, as `adminToken`'s role) and points this process's environment at it. */
export async function useLifecycleTestEnv(adminToken: string): Promise<void> {
  const admin = process.env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080';
  const namespace = 'public/iot-checkpointer-test';
  const res = await fetch(`${admin}/admin/v2/namespaces/${namespace}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminToken}`, 'x-pulsar-auth-method-name': 'token' },
  });
  if (!res.ok && res.status !== 409) throw new Error(`creating ${namespace}: HTTP ${res.status}`);
  Object.assign(process.env, {
    PULSAR_TOPIC: `persistent://${namespace}/lifecycle-data`,
    RECORDS_TOPIC: `persistent://${namespace}/lifecycle-records`,
    CONTROL_SUBJECT_PREFIX: 'test.checkpointer.lifecycle',
    CHECKPOINT_LEASE_BUCKET: 'test_checkpointer_lifecycle',
    CHECKPOINT_S3_PREFIX: 'test-checkpointer-lifecycle',
  });
}
