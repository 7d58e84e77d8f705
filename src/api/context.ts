import type { Principal, SessionService } from '../services/session-service.ts';
import type { SourceService } from '../services/source-service.ts';
import type { Authenticator } from './auth.ts';
import type { PageTokens } from './paging.ts';

/** What the API plugins need; built once by the server. */
export interface ApiContext {
  sessions: SessionService;
  sources: SourceService;
  auth: Authenticator;
  tokens: PageTokens;
  /** Origin used for session urls, e.g. http://127.0.0.1:8080 */
  publicUrl(): string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}
