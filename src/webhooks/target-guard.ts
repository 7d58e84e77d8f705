/**
 * Where a webhook may go, checked where it matters: the URL's host is resolved once, every address it
 * resolves to must pass the address filter, and the connection is then made to the checked address
 * (never resolved a second time), so a name that answers a public address to the check and a
 * private one to the connect (DNS rebinding) gets nowhere.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { addressRefusal, type Cidr } from './address-filter.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses (dns.lookup by default; tests inject their own). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface TargetPolicy {
  /** STINT_WEBHOOK_ALLOW_PRIVATE: ranges allowed although not public (on-prem receivers). */
  allowPrivate: readonly Cidr[];
  resolver?: Resolver;
}

export const STRICT_TARGETS: TargetPolicy = Object.freeze({ allowPrivate: [] });

export class TargetRefused extends Error {}

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** The URL's host without IPv6 brackets. */
export function urlHost(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/**
 * The address to connect to for `host`: an IP literal as it is, a name resolved once. Throws
 * TargetRefused when any address it resolves to is refused (one refused address refuses the name:
 * a client could otherwise be steered to it); a lookup's own error as it is.
 */
export async function resolveTarget(host: string, policy: TargetPolicy): Promise<ResolvedAddress> {
  const literal = isIP(host);
  let addresses: ResolvedAddress[];
  if (literal !== 0) addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  else {
    // A failed lookup is an ordinary (retried) error: DNS can come back.
    addresses = await (policy.resolver ?? systemResolver)(host);
  }
  if (addresses.length === 0) throw new Error(`${host} resolves to no address`);
  for (const a of addresses) {
    const why = addressRefusal(a.address, policy.allowPrivate);
    if (why) throw new TargetRefused(literal ? why : `${host} resolves to ${why}`);
  }
  return addresses[0]!;
}

/**
 * A `lookup` for http.request / net.connect that answers only `target` (already checked): the
 * socket connects exactly there, whatever the name would resolve to now.
 */
export function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}
