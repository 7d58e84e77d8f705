/** The v1alpha calls the CLI makes, typed, with paging helpers. */
import type { NewSession } from '../../api/schemas.ts';
import type { Activity, Session, Source } from './api-types.ts';
import type { HttpClient } from './http-client.ts';

export interface SessionPage {
  sessions: Session[];
  nextPageToken?: string;
}

/** The create-session body, derived from the schema the server validates it with. */
export type CreateSessionBody = NewSession;

const seg = (id: string) => encodeURIComponent(id);

export class StintApi {
  readonly http: HttpClient;

  constructor(http: HttpClient) {
    this.http = http;
  }

  createSession(body: CreateSessionBody): Promise<Session> {
    return this.http.request('POST', '/sessions', { body });
  }

  getSession(id: string): Promise<Session> {
    return this.http.request('GET', `/sessions/${seg(id)}`);
  }

  async listSessions(q: { pageSize?: number; pageToken?: string; filter?: string }): Promise<SessionPage> {
    const page = await this.http.request<Partial<SessionPage>>('GET', '/sessions', { query: q });
    return {
      sessions: page.sessions ?? [],
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    };
  }

  deleteSession(id: string): Promise<unknown> {
    return this.http.request('DELETE', `/sessions/${seg(id)}`);
  }

  approvePlan(id: string): Promise<unknown> {
    return this.http.request('POST', `/sessions/${seg(id)}:approvePlan`, { body: {} });
  }

  sendMessage(id: string, prompt: string): Promise<unknown> {
    return this.http.request('POST', `/sessions/${seg(id)}:sendMessage`, { body: { prompt } });
  }

  /** verb: archive, unarchive, pause, resume or cancel; answers the updated session. */
  sessionMethod(id: string, verb: string): Promise<Session> {
    return this.http.request('POST', `/sessions/${seg(id)}:${verb}`, { body: {} });
  }

  /** Every activity after `after` (an RFC 3339 createTime), following page tokens to the end. */
  async activitiesAfter(id: string, after?: string): Promise<Activity[]> {
    const all: Activity[] = [];
    let pageToken: string | undefined;
    for (let pages = 0; pages < 10_000; pages++) {
      const page = await this.http.request<{ activities?: Activity[]; nextPageToken?: string }>(
        'GET',
        `/sessions/${seg(id)}/activities`,
        {
          query: {
            pageSize: 100,
            filter: after ? `create_time>"${after}"` : undefined,
            pageToken,
          },
        },
      );
      const items = page.activities ?? [];
      all.push(...items);
      if (!page.nextPageToken || items.length === 0) break;
      pageToken = page.nextPageToken;
    }
    return all;
  }

  /** Every source the key can use. */
  async allSources(): Promise<Source[]> {
    const all: Source[] = [];
    let pageToken: string | undefined;
    for (let pages = 0; pages < 10_000; pages++) {
      const page = await this.http.request<{ sources?: Source[]; nextPageToken?: string }>(
        'GET',
        '/sources',
        {
          query: { pageSize: 100, pageToken },
        },
      );
      const items = page.sources ?? [];
      all.push(...items);
      if (!page.nextPageToken || items.length === 0) break;
      pageToken = page.nextPageToken;
    }
    return all;
  }
}
