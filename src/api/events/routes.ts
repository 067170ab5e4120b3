/**
 * GET /v1/events (storefront: the customer-facing types; support: all): the events feed. `after` a sequence (default 0), `type` repeated or
 * comma-separated, `limit` 1–500 (default 100). Oldest first; `nextAfter` is what to pass next.
 */
import { Router, type Request, type Response } from 'express';
import {
  EVENT_TYPES,
  EventListQuery,
  STOREFRONT_EVENT_TYPES,
  type EventList,
  type EventType,
} from '../../contracts/index.js';
import { eventsPage } from '../../app/events.js';
import { callerOf, hasRole, requireRole, type Caller } from '../auth.js';
import { DomainError } from '../../domain/errors.js';
import type { ApiDeps } from '../deps.js';
import { parseQuery } from '../validate.js';

/** `type=a,b&type=c` → [a, b, c] without repeats (the contract admits only known types). */
function typesOf(type: string | readonly string[] | undefined): EventType[] {
  if (type === undefined) return [];
  const values = (typeof type === 'string' ? [type] : type).flatMap((v) => v.split(','));
  return EVENT_TYPES.filter((t) => values.includes(t));
}

/**
 * The types a caller reads: what it asked for (all when nothing), limited to the customer-facing
 * types for the storefront role; asking for an internal type without support is 403.
 */
function readableTypes(caller: Caller, asked: EventType[]): EventType[] {
  if (hasRole(caller, 'support')) return asked;
  const internal = asked.filter((t) => !STOREFRONT_EVENT_TYPES.includes(t));
  if (internal.length > 0) {
    throw new DomainError(
      'forbidden',
      `Events of type ${internal.join(', ')} need the support role; the token "${caller.name}" has ${caller.role}.`,
    );
  }
  return asked.length > 0 ? asked : [...STOREFRONT_EVENT_TYPES];
}

export function eventsRouter(deps: ApiDeps): Router {
  const router = Router();

  router.get('/events', requireRole('storefront'), async (req: Request, res: Response<EventList>) => {
    const query = parseQuery(req, EventListQuery);
    const types = readableTypes(callerOf(req), typesOf(query.type));
    res.json(await eventsPage(deps, { after: Number(query.after), types, limit: query.limit }));
  });

  return router;
}
