import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { advertisedHost, opsUrl } from './advertised-address.ts';

const iface = (address: string, family: 'IPv4' | 'IPv6', internal: boolean) =>
  ({ address, family, internal }) as NetworkInterfaceInfo;

test('the configured host wins; else the first external IPv4; else loopback', () => {
  const interfaces = {
    lo: [iface('127.0.0.1', 'IPv4', true)],
    eth0: [iface('fe80::1', 'IPv6', false), iface('10.1.2.3', 'IPv4', false)],
  };
  assert.equal(advertisedHost('writer-0.writer', interfaces), 'writer-0.writer');
  assert.equal(advertisedHost(undefined, interfaces), '10.1.2.3');
  assert.equal(advertisedHost('', { lo: interfaces.lo }), '127.0.0.1');
});

test('an IPv6 host is bracketed in the URL', () => {
  assert.equal(opsUrl('10.0.0.1', 9464), 'http://10.0.0.1:9464');
  assert.equal(opsUrl('fd00::1', 9464), 'http://[fd00::1]:9464');
});
