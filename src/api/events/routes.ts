/**
 * GET /v1/events (support): the events feed. `after` a sequence (default 0), `type` repeated or
 * comma-separated, `limit` 1–500 (default 100). Oldest first; `nextAfter` is what to pass next.
 */
import { Router, type Request, type Response } from 'express';
import { EVENT_TYPES, EventListQuery, type EventList, type EventType } from '../../contracts/index.js';
import { eventsPage } from '../../app/events.js';
import { requireRole } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { parseQuery } from '../validate.js';

/** `type=a,b&type=c` → [a, b, c] without repeats (the contract admits only known types). */
function typesOf(type: string | readonly string[] | undefined): EventType[] {
  if (type === undefined) return [];
  const values = (typeof type === 'string' ? [type] : type).flatMap((v) => v.split(','));
  return EVENT_TYPES.filter((t) => values.includes(t));
}

export function eventsRouter(deps: ApiDeps): Router {
  const router = Router();

  router.get('/events', requireRole('support'), async (req: Request, res: Response<EventList>) => {
    const query = parseQuery(req, EventListQuery);
    res.json(await eventsPage(deps, { after: Number(query.after), types: typesOf(query.type), limit: query.limit }));
  });

  return router;
}
