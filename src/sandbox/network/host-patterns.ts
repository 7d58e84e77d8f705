/**
 * The network allowlist's host patterns (pure: no DNS, no sockets). A pattern is an exact host name
 * (`registry.npmjs.org`), a suffix pattern (`*.pypi.org`: any name ending in `.pypi.org`, at any
 * depth, but not `pypi.org` itself), or an IP literal (`10.0.0.5`, `fd00::1`: that address only).
 * Names compare case-insensitively, without a trailing dot, in their ASCII (punycode) form. An IP
 * literal is only ever matched by the same IP literal: `*.` patterns never match addresses, and a
 * name pattern never matches the address it resolves to.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

export interface HostPattern {
  /** As the operator wrote it, normalized (lower case, no trailing dot). */
  text: string;
  kind: 'exact' | 'suffix' | 'ip';
  /** exact/ip: the host itself; suffix: `.pypi.org` (with the leading dot). */
  value: string;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const MAX_NAME = 253;

/**
 * Whether a name "ends in a number" (WHATWG URL): its last label is decimal or 0x-hex, so URL parsers
 * and inet_aton read it as an IPv4 address (`0x7f.1`, `2130706433`, `127.1`). Never a real name (no
 * top-level domain is numeric): such hosts are refused, never matched as names.
 */
export function endsInNumber(name: string): boolean {
  const last = name.slice(name.lastIndexOf('.') + 1);
  return /^[0-9]+$/.test(last) || /^0x[0-9a-f]*$/.test(last);
}

/** The ASCII, lower-case, dot-free-ending form of a host name; undefined if it is not one. */
export function normalizeHostName(raw: string): string | undefined {
  let host = raw.trim();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '' || host.length > MAX_NAME * 4) return undefined;
  const ascii = /^[\x21-\x7e]+$/.test(host) ? host.toLowerCase() : domainToASCII(host);
  if (!ascii || ascii.length > MAX_NAME) return undefined;
  return ascii.split('.').every((l) => LABEL.test(l)) ? ascii : undefined;
}

/** An IP literal in a canonical form (IPv6 without brackets, lower case, compressed by URL rules). */
export function normalizeIpLiteral(raw: string): string | undefined {
  const bare = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  const v = isIP(bare);
  if (v === 4) return bare;
  if (v !== 6) return undefined;
  try {
    const h = new URL(`http://[${bare}]/`).hostname;
    return h.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** Parses one pattern; throws with a message naming `field` when it is not one. */
export function parseHostPattern(raw: string, field = 'host pattern'): HostPattern {
  const text = raw.trim();
  const ip = normalizeIpLiteral(text);
  if (ip !== undefined) return { text: ip, kind: 'ip', value: ip };
  if (text.startsWith('*.')) {
    const rest = normalizeHostName(text.slice(2));
    // `*.com` would open a whole top-level domain: a suffix needs two labels at least.
    if (rest === undefined || !rest.includes('.') || endsInNumber(rest)) {
      throw new Error(
        `${field}: '${raw}' is not a host pattern (a name like registry.npmjs.org or *.pypi.org)`,
      );
    }
    return { text: `*.${rest}`, kind: 'suffix', value: `.${rest}` };
  }
  const name = normalizeHostName(text);
  if (name === undefined || endsInNumber(name)) {
    throw new Error(
      `${field}: '${raw}' is not a host pattern (a name like registry.npmjs.org, *.pypi.org, or an IP address)`,
    );
  }
  return { text: name, kind: 'exact', value: name };
}

/** Parses a list of patterns (deduplicated, in order); throws on the first bad one. */
export function parseHostPatterns(raw: readonly string[], field = 'host pattern'): HostPattern[] {
  const seen = new Set<string>();
  const out: HostPattern[] = [];
  for (const r of raw) {
    const p = parseHostPattern(r, field);
    if (!seen.has(p.text)) {
      seen.add(p.text);
      out.push(p);
    }
  }
  return out;
}

/**
 * The requested host in the form patterns compare against: an IP literal canonicalized, a name
 * normalized; undefined when it is neither (such a request is refused).
 */
export function normalizeRequestHost(host: string): { kind: 'ip' | 'name'; value: string } | undefined {
  const ip = normalizeIpLiteral(host);
  if (ip !== undefined) return { kind: 'ip', value: ip };
  const name = normalizeHostName(host);
  // An address in a form isIP refuses (0x7f.1, 127.1) is neither: refused.
  return name === undefined || endsInNumber(name) ? undefined : { kind: 'name', value: name };
}

/** Whether `host` (as a client asked for it) is allowed by `patterns`. */
export function hostAllowed(host: string, patterns: readonly HostPattern[]): boolean {
  const h = normalizeRequestHost(host);
  if (!h) return false;
  return patterns.some((p) => {
    if (p.kind === 'ip') return h.kind === 'ip' && h.value === p.value;
    if (h.kind !== 'name') return false;
    return p.kind === 'exact' ? h.value === p.value : h.value.endsWith(p.value);
  });
}
