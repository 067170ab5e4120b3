/** OpenAPI registration of the events feed. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { EventList, EventListQuery } from '../../contracts/index.js';
import { problems } from '../openapi-parts.js';

export function registerEventPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/events',
    operationId: 'listEvents',
    tags: ['Events'],
    summary: 'The events feed, oldest first from a sequence',
    description: [
      'Role: storefront for the customer-facing types (`purchase.*`, `refund.created`, `credit.*`: a storefront token without `type` reads exactly those, and asking for another type is 403 `forbidden`); support and admin read every type. Every change that matters outside the service, written in the same database transaction as the change (a transactional outbox): `purchase.completed`, `purchase.failed`, `refund.created`, `credit.granted`, `credit.deducted`, `approval.requested`, `approval.decided`, `reconciliation.finding`. `data` is the resource exactly as the API returned it when the event was written.',
      '`sequence` is global and gap-free, and events become visible in sequence order: poll with `after=<nextAfter of the previous page>` (start with 0) and you see every event exactly once, in order, also across restarts of the service. An empty page returns `nextAfter` = `after`: poll again later with it.',
      '`type` filters without changing the numbering: repeat it (`type=refund.created&type=credit.granted`) or give a comma-separated list, or both; a page of a filtered feed may skip sequences that belong to other types. A rolled-back change has no event; an idempotent replay writes none.',
    ].join('\n\n'),
    request: { query: EventListQuery },
    responses: {
      200: { description: 'A page (possibly empty)', content: { 'application/json': { schema: EventList } } },
      ...problems(),
    },
  });
}
