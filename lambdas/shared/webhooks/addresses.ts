import { BlockList, isIP } from "net";

/*
 * Where a webhook is never sent on AWS (CONTRACT.md, "Webhooks"): private, loopback, link-local,
 * unique-local and metadata addresses, and the other special-purpose ranges of the IANA registries
 * ("IANA IPv4 Special-Purpose Address Registry", "IANA IPv6 Special-Purpose Address Registry").
 * The instance metadata service is 169.254.169.254 and fd00:ec2::254 ("Access instance metadata
 * for an EC2 instance"); link-local covers the first, unique-local the second.
 */
const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // shared address space (carrier-grade NAT)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, the metadata service
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  FORBIDDEN.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["100::", 64], // discard
  ["2001:db8::", 32], // documentation
  ["fc00::", 7], // unique-local (fd00:ec2::254, the metadata service)
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
] as const) {
  FORBIDDEN.addSubnet(network, prefix, "ipv6");
}

/** Loopback only: what the local cloud allows (a receiver on this machine). */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** An IPv4 address an IPv6 one carries (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`), else undefined. */
function embeddedIpv4(address: string): string | undefined {
  const m = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!m) return undefined;
  if (m[1]) return m[1];
  const hi = parseInt(m[2], 16);
  const lo = parseInt(m[3], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Whether a webhook may be sent to this IP address (`loopbackAllowed`: the local cloud). */
export function isForbiddenAddress(address: string, loopbackAllowed = false): boolean {
  const bare = address.replace(/^\[|\]$/g, "").split("%")[0];
  const family = isIP(bare);
  if (family === 0) return true;
  const v4 = family === 6 ? embeddedIpv4(bare) : undefined;
  const [ip, type] = v4 ? [v4, "ipv4" as const] : [bare, family === 4 ? ("ipv4" as const) : ("ipv6" as const)];
  if (loopbackAllowed && LOOPBACK.check(ip, type)) return false;
  return FORBIDDEN.check(ip, type);
}
