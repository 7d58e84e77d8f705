/**
 * Where an allowed host may actually be reached: the name is resolved once, every address it
 * resolves to must pass the server's address filter (the one webhooks use), and the proxy connects to
 * the checked address (never resolving again), so a name that answers a public address to the check
 * and a private one to the connect (DNS rebinding) gets nowhere. Loopback, private, link-local (the
 * cloud metadata service), multicast and reserved addresses are refused unless the operator opts in
 * with STINT_SANDBOX_ALLOW_PRIVATE (CIDR ranges).
 */
import { isIP } from 'node:net';
import { addressRefusal, type Cidr, classifyAddress } from '../../webhooks/address-filter.ts';
import { type ResolvedAddress, type Resolver, systemResolver } from '../../webhooks/target-guard.ts';

export type { ResolvedAddress, Resolver };

export interface AddressPolicy {
  /** STINT_SANDBOX_ALLOW_PRIVATE: ranges reachable although not public. */
  allowPrivate: readonly Cidr[];
  /** Name resolution (dns.lookup by default; tests inject their own). */
  resolver?: Resolver;
}

const OPT_IN = '(an operator can allow private ranges with STINT_SANDBOX_ALLOW_PRIVATE)';

/** Why the proxy must not connect to `address`, or undefined when it may. */
export function sandboxAddressRefusal(address: string, allowPrivate: readonly Cidr[]): string | undefined {
  if (addressRefusal(address, allowPrivate) === undefined) return undefined;
  const kind = classifyAddress(address);
  if (kind === 'invalid') return `'${address}' is not an IP address`;
  return `${address} is a ${kind} address ${OPT_IN}`;
}

export class AddressRefused extends Error {}

/**
 * The address to connect to for an allowed `host`: an IP literal as it is, a name resolved once.
 * Throws AddressRefused when any address it resolves to is refused (one refused address refuses the
 * name: a client could otherwise be steered to it); a lookup's own error as it is.
 */
export async function resolveAllowed(host: string, policy: AddressPolicy): Promise<ResolvedAddress> {
  const literal = isIP(host);
  const addresses: ResolvedAddress[] =
    literal !== 0
      ? [{ address: host, family: literal === 6 ? 6 : 4 }]
      : await (policy.resolver ?? systemResolver)(host);
  if (addresses.length === 0) throw new Error(`${host} resolves to no address`);
  for (const a of addresses) {
    const why = sandboxAddressRefusal(a.address, policy.allowPrivate);
    if (!why) continue;
    if (literal) throw new AddressRefused(why);
    const kind = classifyAddress(a.address);
    throw new AddressRefused(
      `${host} resolves to ${a.address}, ${kind === 'invalid' ? 'not an IP address' : `a ${kind} address ${OPT_IN}`}`,
    );
  }
  return addresses[0]!;
}
