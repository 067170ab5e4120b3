/** OpenAPI registration of the session route. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Me } from '../../contracts/session.js';
import { problems } from '../openapi-parts.js';

export function registerSessionPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/me',
    tags: ['Session'],
    summary: 'The caller: token name, role, Temporal UI link',
    description: 'Any role.',
    responses: { 200: { description: 'The caller', content: { 'application/json': { schema: Me } } }, ...problems() },
  });
}
