/**
 * The forward proxy that is a sandboxed command's only way out: plain HTTP requests (absolute URLs)
 * and CONNECT tunnels (HTTPS, or any TCP protocol) to hosts on the allowlist, connected to an
 * address the server's address filter accepts. Anything else gets a 403 naming the reason, and is
 * remembered (once per host) for the session's firewall report.
 *
 * The HTTP and CONNECT handling is proxy-chain's (maintained, used in production crawlers): its
 * per-request hook lets us refuse a target before any connection is made, and pin the connection to
 * the address we checked (`dnsLookup`), which the `proxy` package cannot (it resolves names itself).
 */
import { rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { type PrepareRequestFunctionResult, RequestError, Server } from 'proxy-chain';
import { pinnedLookup } from '../../webhooks/target-guard.ts';
import type { BlockedConnection } from '../sandbox.ts';
import { type AddressPolicy, AddressRefused, resolveAllowed } from './address-policy.ts';
import { type HostPattern, hostAllowed, normalizeRequestHost } from './host-patterns.ts';

export interface AllowlistProxyOptions extends AddressPolicy {
  allow: readonly HostPattern[];
  /** Listen on this Unix socket (bind-mounted into a sandbox); default: a free port on 127.0.0.1. */
  socketPath?: string;
}

/** Distinct blocked hosts kept per proxy (a command could try thousands). */
export const MAX_BLOCKED_RECORDED = 100;
/** Open client connections per proxy (one command's); node closes any beyond at once. */
const MAX_CONNECTIONS = 512;

export class AllowlistProxy {
  readonly #server: Server;
  readonly #opts: AllowlistProxyOptions;
  readonly #blocked = new Map<string, BlockedConnection>();
  #url = '';

  private constructor(opts: AllowlistProxyOptions) {
    this.#opts = opts;
    this.#server = new Server({
      prepareRequestFunction: ({ hostname, port }) => this.#check(hostname, port),
    });
    this.#server.server.maxConnections = MAX_CONNECTIONS;
    // proxy-chain drops connections without a remote address, as Unix socket peers are: give them one.
    this.#server.server.prependListener('connection', (socket: Socket) => {
      if (!socket.remoteAddress) Object.defineProperty(socket, 'remoteAddress', { value: 'sandbox' });
    });
  }

  static async start(opts: AllowlistProxyOptions): Promise<AllowlistProxy> {
    const proxy = new AllowlistProxy(opts);
    await proxy.#listen();
    return proxy;
  }

  /** http://127.0.0.1:PORT, or the Unix socket's path. */
  get address(): string {
    return this.#url;
  }

  /** The connections refused so far, one per host, in the order they were first tried. */
  blocked(): BlockedConnection[] {
    return [...this.#blocked.values()];
  }

  async close(): Promise<void> {
    await this.#server.close(true).catch(() => {});
    if (this.#opts.socketPath) await rm(this.#opts.socketPath, { force: true });
  }

  #listen(): Promise<void> {
    const http = this.#server.server;
    return new Promise((resolve, reject) => {
      http.once('error', reject);
      const done = () => {
        http.off('error', reject);
        // A listening server's later errors (EMFILE on accept) must not take the whole server down.
        http.on('error', () => {});
        const a = http.address();
        this.#url =
          typeof a === 'string' || a === null ? (this.#opts.socketPath ?? '') : `http://127.0.0.1:${a.port}`;
        resolve();
      };
      if (this.#opts.socketPath) http.listen(this.#opts.socketPath, done);
      else http.listen(0, '127.0.0.1', done);
    });
  }

  async #check(hostname: string, port: number): Promise<PrepareRequestFunctionResult> {
    const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
    const normal = normalizeRequestHost(host);
    const shown = normal?.value ?? host.slice(0, 255);
    if (!normal) this.#refuse(shown, port, 'invalid', 'it is not a valid host name');
    if (!hostAllowed(host, this.#opts.allow)) {
      this.#refuse(shown, port, 'not-allowed', "it is not on this session's network allowlist");
    }
    try {
      const target = await resolveAllowed(normal!.value, this.#opts);
      // proxy-chain types the hook as dns.lookup itself; it is only ever called as a LookupFunction.
      return { dnsLookup: pinnedLookup(target) as unknown as PrepareRequestFunctionResult['dnsLookup'] };
    } catch (e) {
      if (e instanceof AddressRefused) this.#refuse(shown, port, 'address', e.message);
      throw new RequestError(`Stint: cannot resolve ${shown}: ${(e as Error).message}\n`, 502);
    }
  }

  #refuse(host: string, port: number, cause: BlockedConnection['cause'], reason: string): never {
    if (!this.#blocked.has(host) && this.#blocked.size < MAX_BLOCKED_RECORDED) {
      this.#blocked.set(host, { host, port, cause, reason });
    }
    throw new RequestError(`Stint: network access to ${host} is blocked: ${reason}.\n`, 403);
  }
}
