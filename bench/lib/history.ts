/**
 * Where a saga's time goes, from its Temporal history: every workflow task and activity task
 * has a scheduled, started and completed event with the server's timestamps, so the saga's
 * duration splits into queueing (scheduled → started: matching and dispatch to a poller),
 * worker time on workflow tasks, and the activities' own execution.
 */
import type { Client } from '@temporalio/client';
import { median } from './stats.js';

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

export interface SagaTimeline {
  readonly totalMs: number;
  readonly events: number;
  readonly workflowTasks: number;
  readonly wftQueueMs: number;
  readonly wftRunMs: number;
  readonly activityQueueMs: number;
  readonly activityRunMs: number;
  readonly activityRunByType: Readonly<Record<string, number>>;
  readonly activities: number;
  readonly searchAttributeUpserts: number;
}

function ms(event: HistoryEvent): number {
  const t = event.eventTime;
  if (!t) return Number.NaN;
  return Number(String(t.seconds ?? 0)) * 1000 + (t.nanos ?? 0) / 1e6;
}

export function timeline(history: History): SagaTimeline | null {
  const events = history.events ?? [];
  let started = Number.NaN;
  let completed = Number.NaN;
  let wftQueue = 0;
  let wftRun = 0;
  let workflowTasks = 0;
  let actQueue = 0;
  let actRun = 0;
  let upserts = 0;
  const byType: Record<string, number> = {};
  const at = new Map<string, number>();
  const activityType = new Map<string, string>();
  for (const e of events) {
    const id = String(e.eventId);
    const time = ms(e);
    at.set(id, time);
    if (e.workflowExecutionStartedEventAttributes) started = time;
    else if (e.workflowExecutionCompletedEventAttributes) completed = time;
    else if (e.workflowTaskStartedEventAttributes) {
      wftQueue += time - (at.get(String(e.workflowTaskStartedEventAttributes.scheduledEventId)) ?? time);
    } else if (e.workflowTaskCompletedEventAttributes) {
      workflowTasks++;
      wftRun += time - (at.get(String(e.workflowTaskCompletedEventAttributes.startedEventId)) ?? time);
    } else if (e.activityTaskScheduledEventAttributes) {
      activityType.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
    } else if (e.activityTaskStartedEventAttributes) {
      actQueue += time - (at.get(String(e.activityTaskStartedEventAttributes.scheduledEventId)) ?? time);
    } else if (e.activityTaskCompletedEventAttributes) {
      const run = time - (at.get(String(e.activityTaskCompletedEventAttributes.startedEventId)) ?? time);
      actRun += run;
      const name = activityType.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId)) ?? '?';
      byType[name] = (byType[name] ?? 0) + run;
    } else if (e.upsertWorkflowSearchAttributesEventAttributes) upserts++;
  }
  if (!Number.isFinite(started) || !Number.isFinite(completed)) return null;
  return {
    totalMs: completed - started,
    events: events.length,
    workflowTasks,
    wftQueueMs: wftQueue,
    wftRunMs: wftRun,
    activityQueueMs: actQueue,
    activityRunMs: actRun,
    activityRunByType: byType,
    activities: activityType.size,
    searchAttributeUpserts: upserts,
  };
}

export interface TimelineSummary {
  readonly samples: number;
  /** Medians over the sampled sagas. */
  readonly totalMs: number;
  readonly wftQueueMs: number;
  readonly wftRunMs: number;
  readonly activityQueueMs: number;
  readonly activityRunMs: number;
  readonly activityRunByType: Readonly<Record<string, number>>;
  readonly events: number;
  readonly workflowTasks: number;
  readonly activities: number;
  readonly searchAttributeUpserts: number;
  /** The HTTP p50 of the same phase, set by the caller: the rest is the API's own share. */
  readonly httpP50Ms?: number;
}

export async function sampleTimelines(client: Client, workflowIds: readonly string[]): Promise<TimelineSummary | null> {
  const lines: SagaTimeline[] = [];
  for (const id of workflowIds.slice(0, 50)) {
    try {
      const t = timeline(await client.workflow.getHandle(id).fetchHistory());
      if (t) lines.push(t);
    } catch {
      // a history that cannot be read is left out
    }
  }
  if (lines.length === 0) return null;
  const types = new Set(lines.flatMap((l) => Object.keys(l.activityRunByType)));
  const byType: Record<string, number> = {};
  for (const type of types) byType[type] = median(lines.map((l) => l.activityRunByType[type] ?? 0));
  return {
    samples: lines.length,
    totalMs: median(lines.map((l) => l.totalMs)),
    wftQueueMs: median(lines.map((l) => l.wftQueueMs)),
    wftRunMs: median(lines.map((l) => l.wftRunMs)),
    activityQueueMs: median(lines.map((l) => l.activityQueueMs)),
    activityRunMs: median(lines.map((l) => l.activityRunMs)),
    activityRunByType: byType,
    events: median(lines.map((l) => l.events)),
    workflowTasks: median(lines.map((l) => l.workflowTasks)),
    activities: median(lines.map((l) => l.activities)),
    searchAttributeUpserts: median(lines.map((l) => l.searchAttributeUpserts)),
  };
}
