/**
 * The admin API (src/security/admin-api.ts) in the OpenAPI document. Its handlers validate bodies
 * themselves; the schemas here describe the same fields. Every operation needs an admin key.
 */
import type { Operation, OperationParam } from './openapi-operations.ts';

const tenant: OperationParam = { name: 'tenant', in: 'path', required: true, description: 'The tenant id.' };
const limit = (what: string) => ({
  type: ['integer', 'null'],
  minimum: 0,
  description: `${what}; 0 = unlimited, null = the server default.`,
});
const tenantFields = {
  name: { type: 'string', maxLength: 200 },
  maxWorkingSessions: limit('Sessions of this tenant worked on at once'),
  rateLimitPerMinute: limit('Requests per minute for the tenant'),
};
const anyObject = { type: 'object' };

const op = (o: Omit<Operation, 'tag' | 'auth'>): Operation => ({ ...o, tag: 'admin', auth: 'admin' });

export const ADMIN_OPERATIONS: readonly Operation[] = [
  op({
    method: 'get',
    path: '/v1alpha/admin/tenants',
    route: '/v1alpha/admin/tenants',
    operationId: 'admin.tenants.list',
    summary: 'List tenants with their limits and working sessions',
    response: { schema: anyObject },
  }),
  op({
    method: 'post',
    path: '/v1alpha/admin/tenants',
    route: '/v1alpha/admin/tenants',
    operationId: 'admin.tenants.create',
    summary: 'Create a tenant',
    body: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, ...tenantFields } },
    response: { schema: anyObject },
  }),
  op({
    method: 'get',
    path: '/v1alpha/admin/tenants/{tenant}',
    route: '/v1alpha/admin/tenants/:tenant',
    operationId: 'admin.tenants.get',
    summary: 'Get a tenant',
    params: [tenant],
    response: { schema: anyObject },
  }),
  op({
    method: 'patch',
    path: '/v1alpha/admin/tenants/{tenant}',
    route: '/v1alpha/admin/tenants/:tenant',
    operationId: 'admin.tenants.update',
    summary: "Change a tenant's name or limits",
    params: [tenant],
    body: { type: 'object', properties: tenantFields },
    response: { schema: anyObject },
  }),
  op({
    method: 'get',
    path: '/v1alpha/admin/keys',
    route: '/v1alpha/admin/keys',
    operationId: 'admin.keys.list',
    summary: 'List API keys (never the keys themselves)',
    params: [{ name: 'tenant', in: 'query', description: 'Only this tenant.' }],
    response: { schema: anyObject },
  }),
  op({
    method: 'post',
    path: '/v1alpha/admin/keys',
    route: '/v1alpha/admin/keys',
    operationId: 'admin.keys.create',
    summary: 'Create an API key; the answer shows it once',
    body: {
      type: 'object',
      properties: {
        tenant: { type: 'string' },
        name: { type: 'string' },
        role: { type: 'string', enum: ['member', 'admin'] },
        rateLimitPerMinute: limit('Requests per minute for the key'),
      },
    },
    response: { schema: anyObject },
  }),
  op({
    method: 'patch',
    path: '/v1alpha/admin/keys/{id}',
    route: '/v1alpha/admin/keys/:id',
    operationId: 'admin.keys.update',
    summary: "Set a key's rate limit",
    params: [{ name: 'id', in: 'path', required: true, description: 'The key id.' }],
    body: {
      type: 'object',
      required: ['rateLimitPerMinute'],
      properties: { rateLimitPerMinute: limit('Requests per minute') },
    },
    response: { schema: 'Empty' },
  }),
  op({
    method: 'post',
    path: '/v1alpha/admin/keys/{id}:revoke',
    route: '/v1alpha/admin/keys/:idVerb',
    operationId: 'admin.keys.revoke',
    summary: 'Revoke a key',
    params: [{ name: 'id', in: 'path', required: true, description: 'The key id.' }],
    body: { type: 'object' },
    response: { schema: 'Empty' },
  }),
  op({
    method: 'get',
    path: '/v1alpha/admin/tenants/{tenant}/secrets',
    route: '/v1alpha/admin/tenants/:tenant/secrets',
    operationId: 'admin.secrets.list',
    summary: "List a tenant's secrets (names only)",
    params: [tenant, { name: 'source', in: 'query', description: 'Only secrets of this source.' }],
    response: { schema: anyObject },
  }),
  op({
    method: 'put',
    path: '/v1alpha/admin/tenants/{tenant}/secrets/{name}',
    route: '/v1alpha/admin/tenants/:tenant/secrets/:name',
    operationId: 'admin.secrets.set',
    summary: 'Set a secret (stored encrypted)',
    params: [tenant, { name: 'name', in: 'path', required: true, description: 'The secret name.' }],
    body: {
      type: 'object',
      required: ['value'],
      properties: {
        value: { type: 'string' },
        source: { type: 'string', description: 'Scope it to a source.' },
      },
    },
    response: { schema: 'Empty' },
  }),
  op({
    method: 'delete',
    path: '/v1alpha/admin/tenants/{tenant}/secrets/{name}',
    route: '/v1alpha/admin/tenants/:tenant/secrets/:name',
    operationId: 'admin.secrets.delete',
    summary: 'Delete a secret',
    params: [
      tenant,
      { name: 'name', in: 'path', required: true, description: 'The secret name.' },
      { name: 'source', in: 'query', description: 'The source it is scoped to.' },
    ],
    response: { schema: 'Empty' },
  }),
  op({
    method: 'get',
    path: '/v1alpha/admin/auditLog',
    route: '/v1alpha/admin/auditLog',
    operationId: 'admin.auditLog.list',
    summary: 'The audit log, newest first',
    params: [
      { name: 'tenant', in: 'query', description: 'Only this tenant.' },
      { name: 'pageSize', in: 'query', description: '1-500 (default 50).', schema: { type: 'integer' } },
      { name: 'pageToken', in: 'query', description: 'nextPageToken of the previous page.' },
    ],
    response: { schema: anyObject },
  }),
];
