/**
 * Which IP addresses a webhook may be sent to (pure: no DNS, no sockets). A tenant names the URL, so
 * without this a tenant could make the server reach what only the server can reach: its own
 * loopback services, the private network, the cloud metadata service (169.254.169.254). Refused:
 * loopback, private (RFC 1918, CGNAT, unique-local), link-local, multicast, unspecified, broadcast
 * and reserved ranges, in IPv4, IPv6, and IPv4 embedded in IPv6 (mapped, NAT64, 6to4). An operator
 * allowlist (`STINT_WEBHOOK_ALLOW_PRIVATE=cidr,...`) lets on-prem receivers through.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type AddressKind =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'multicast'
  | 'unspecified'
  | 'reserved'
  | 'invalid';

/** An address as a number, IPv4 in 32 bits and IPv6 in 128. */
interface Ip {
  v: 4 | 6;
  n: bigint;
}

export interface Cidr {
  v: 4 | 6;
  base: bigint;
  bits: number;
  text: string;
}

function parseV4(s: string): bigint | undefined {
  if (!isIPv4(s)) return undefined;
  return s.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function parseV6(s: string): bigint | undefined {
  const plain = s.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) does not change the address
  if (!isIPv6(plain)) return undefined;
  let text = plain.toLowerCase();
  // A trailing dotted quad (::ffff:1.2.3.4) is the last two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const v4 = parseV4(quad[1]!)!;
    text = `${text.slice(0, -quad[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

function parseIp(s: string): Ip | undefined {
  const bare = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  const v4 = parseV4(bare);
  if (v4 !== undefined) return { v: 4, n: v4 };
  const v6 = parseV6(bare);
  return v6 === undefined ? undefined : { v: 6, n: v6 };
}

const inV4 = (n: bigint, base: string, bits: number) =>
  n >> BigInt(32 - bits) === parseV4(base)! >> BigInt(32 - bits);
const inV6 = (n: bigint, base: string, bits: number) =>
  n >> BigInt(128 - bits) === parseV6(base)! >> BigInt(128 - bits);

/** The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4), if any. */
function embeddedV4(n: bigint): bigint | undefined {
  if (inV6(n, '::ffff:0:0', 96)) return n & 0xffffffffn; // IPv4-mapped
  if (inV6(n, '64:ff9b::', 96)) return n & 0xffffffffn; // NAT64 well-known prefix
  if (inV6(n, '2002::', 16)) return (n >> 80n) & 0xffffffffn; // 6to4
  return undefined;
}

const V4_RANGES: readonly [string, number, AddressKind][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private'], // carrier-grade NAT
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'], // includes the cloud metadata service
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // and 255.255.255.255, broadcast
];

const V6_RANGES: readonly [string, number, AddressKind][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'reserved'], // IPv4-compatible (deprecated)
  ['64:ff9b:1::', 48, 'private'], // local-use NAT64
  ['100::', 64, 'reserved'], // discard
  ['2001::', 23, 'reserved'], // IETF protocol assignments (Teredo, ORCHID, ...)
  ['2001:db8::', 32, 'reserved'], // documentation
  ['fc00::', 7, 'private'], // unique local
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'], // site-local (deprecated)
  ['ff00::', 8, 'multicast'],
];

function kindOf(ip: Ip): AddressKind {
  if (ip.v === 4) {
    for (const [base, bits, kind] of V4_RANGES) if (inV4(ip.n, base, bits)) return kind;
    return 'public';
  }
  const v4 = embeddedV4(ip.n);
  if (v4 !== undefined) return kindOf({ v: 4, n: v4 });
  for (const [base, bits, kind] of V6_RANGES) if (inV6(ip.n, base, bits)) return kind;
  return 'public';
}

/** What kind of address `address` is (IPv4, IPv6, bracketed IPv6; 'invalid' for anything else). */
export function classifyAddress(address: string): AddressKind {
  const ip = parseIp(address);
  return ip ? kindOf(ip) : 'invalid';
}

/** Parses `10.0.0.0/8` or `fd00::/8` (a bare address is /32 or /128); throws on anything else. */
export function parseCidr(text: string): Cidr {
  const [addr = '', bitsText, extra] = text.trim().split('/');
  const ip = parseIp(addr);
  const max = ip?.v === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (!ip || extra !== undefined || !/^\d+$/.test(bitsText ?? String(max)) || bits > max) {
    throw new Error(`'${text}' is not a CIDR range (like 10.0.0.0/8 or fd00::/8)`);
  }
  const shift = BigInt(max - bits);
  return { v: ip.v, base: (ip.n >> shift) << shift, bits, text: text.trim() };
}

/** `STINT_WEBHOOK_ALLOW_PRIVATE`: comma-separated CIDR ranges; empty for none. Throws on a bad one. */
export function parseAllowlist(raw: string | undefined): Cidr[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseCidr);
}

function inCidr(ip: Ip, c: Cidr): boolean {
  const max = ip.v === 4 ? 32 : 128;
  return ip.v === c.v && ip.n >> BigInt(max - c.bits) === c.base >> BigInt(max - c.bits);
}

function allowlisted(ip: Ip, allow: readonly Cidr[]): boolean {
  if (allow.some((c) => inCidr(ip, c))) return true;
  // ::ffff:10.0.0.1 is 10.0.0.1 for an allowlist too.
  const v4 = ip.v === 6 ? embeddedV4(ip.n) : undefined;
  return v4 !== undefined && allow.some((c) => inCidr({ v: 4, n: v4 }, c));
}

/**
 * Why a webhook must not be sent to `address`, or undefined when it may. Public addresses may;
 * every other kind only when the operator's allowlist names it.
 */
export function addressRefusal(address: string, allow: readonly Cidr[] = []): string | undefined {
  const ip = parseIp(address);
  if (!ip) return `'${address}' is not an IP address`;
  const kind = kindOf(ip);
  if (kind === 'public' || allowlisted(ip, allow)) return undefined;
  return `${address} is a ${kind} address; webhooks are only sent to public addresses (an operator can allow private ranges with STINT_WEBHOOK_ALLOW_PRIVATE)`;
}
