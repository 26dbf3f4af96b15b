// The address other processes reach this one's ops server at, announced on the control plane
// so the operations console can scrape /metrics. OPS_ADVERTISE_HOST wins; otherwise the first
// non-loopback IPv4 address (a pod's IP in Kubernetes), else loopback (one machine).
import type { NetworkInterfaceInfo } from 'node:os';

export function advertisedHost(
  configured: string | undefined,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
): string {
  if (configured !== undefined && configured !== '') return configured;
  for (const addresses of Object.values(interfaces)) {
    const v4 = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4 !== undefined) return v4.address;
  }
  return '127.0.0.1';
}

export function opsUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
