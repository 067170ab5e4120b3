/** OpenAPI registration of the operational routes. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

export const HealthResponse = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
export const ReadyResponse = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() })),
  })
  .meta({ id: 'Readiness' });
export type ReadyResponse = z.infer<typeof ReadyResponse>;

export function registerOpsPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/health',
    tags: ['Operations'],
    summary: 'Liveness',
    security: [],
    description:
      "No authentication, no dependency: 200 while the process serves HTTP. For the orchestrator's liveness probe.",
    responses: {
      200: { description: 'The process is up', content: { 'application/json': { schema: HealthResponse } } },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/ready',
    tags: ['Operations'],
    summary: 'Readiness: the database and Temporal answer',
    security: [],
    description:
      "No authentication. 200 only when the database and Temporal answer within 2 s each, else 503 with the failing check; for the load balancer's readiness probe.",
    responses: {
      200: { description: 'Ready', content: { 'application/json': { schema: ReadyResponse } } },
      503: { description: 'A dependency does not answer', content: { 'application/json': { schema: ReadyResponse } } },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/openapi.json',
    tags: ['Operations'],
    summary: 'This document',
    security: [],
    description:
      'No authentication. The OpenAPI 3.1 document, generated from the zod schemas that validate requests; the reference page is at /docs.',
    responses: {
      200: {
        description: 'OpenAPI 3.1',
        content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
      },
    },
  });
}
