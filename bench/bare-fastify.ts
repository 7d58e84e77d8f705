/**
 * The second baseline: a Fastify app (same version and options as Stint's: no request logging,
 * the same router options) answering one JSON body from memory, in its own process. Between the
 * bare node:http server and Stint it shows what Fastify itself costs per request.
 */
import Fastify from 'fastify';

const body = process.env.BARE_BODY ?? '{}';
const app = Fastify({
  logger: false,
  routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 500 },
});
app.get('/v1alpha/sessions/:id', async (_req, reply) =>
  reply.type('application/json; charset=utf-8').send(body),
);
app.listen({ host: '127.0.0.1', port: 0 }).then(() => {
  const addr = app.server.address();
  process.stdout.write(`listening on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
