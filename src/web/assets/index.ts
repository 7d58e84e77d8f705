/** Static assets, content-addressed (app.<hash>.css / .js) so browsers may cache them forever. */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { loadClientScript } from './client-script.ts';
import { STYLES } from './styles.ts';

interface Asset {
  path: string;
  type: string;
  body: string;
  etag: string;
}

function asset(name: string, ext: string, type: string, body: string): Asset {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 12);
  return { path: `/web/assets/${name}.${hash}.${ext}`, type, body, etag: `"${hash}"` };
}

export const STYLESHEET = asset('app', 'css', 'text/css; charset=utf-8', STYLES);
export const SCRIPT = asset('app', 'js', 'text/javascript; charset=utf-8', loadClientScript());
export const ICON = asset(
  'icon',
  'svg',
  'image/svg+xml',
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#1f4fbf"/><path d="M9 21.5c1.6 1.6 4 2.5 6.8 2.5 3.9 0 6.2-1.9 6.2-4.6 0-2.5-1.7-3.7-5.4-4.6-2.6-.6-3.4-1.1-3.4-2.1 0-1 .9-1.7 2.6-1.7 1.6 0 3 .6 4.1 1.6l2-2.6C20.4 8.8 18.4 8 15.9 8c-3.6 0-6 2-6 4.8 0 2.6 1.8 3.8 5.3 4.6 2.6.6 3.5 1.1 3.5 2.2s-1 1.8-2.9 1.8c-2 0-3.7-.8-5-2z" fill="#fff"/></svg>',
);

export function assetRoutes(app: FastifyInstance): void {
  for (const a of [STYLESHEET, SCRIPT, ICON]) {
    app.get(a.path, async (req, reply) => {
      reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('etag', a.etag)
        .header('x-content-type-options', 'nosniff')
        .type(a.type);
      if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
      return a.body;
    });
  }
}
