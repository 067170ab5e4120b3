/**
 * Wakes the webhook delivery workflows when events commit. The migration's trigger sends
 * `NOTIFY events_appended` at the commit of every transaction that wrote events; this
 * dispatcher (one per worker process) LISTENs, and on a notification — coalesced over
 * `coalesceMs` — sends `wake` to every enabled endpoint's workflow with signal-with-start, so
 * an enabled endpoint whose workflow is not running (Temporal was down when it was created, or
 * it was enabled by hand in the database) gets one. The same runs every `sweepIntervalMs`.
 *
 * Nothing depends on it for correctness: a lost notification costs latency only, since each
 * idle workflow also looks for events every WEBHOOK_POLL_INTERVAL_MS.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { enabledWebhookEndpointIds } from '../db/webhook-repository.js';
import type { Logger } from '../logger.js';
import {
  wakeSignal,
  webhookDeliveryInput,
  webhookEndpointDelivery,
  webhookWorkflowId,
} from '../../workflows/webhook.js';

export const EVENTS_CHANNEL = 'events_appended';

export interface WebhookDispatcherSetup {
  readonly config: Config;
  readonly database: Database;
  readonly temporal: Client;
  readonly logger: Logger;
  /** Notifications within this window make one round of wake-ups (default 50 ms). */
  readonly coalesceMs?: number;
}

export interface WebhookDispatcher {
  /** One round of wake-ups now (also what a notification and the sweep do). */
  wakeAll(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookDispatcher(setup: WebhookDispatcherSetup): Promise<WebhookDispatcher> {
  const { config, database, temporal, logger } = setup;
  const coalesceMs = setup.coalesceMs ?? 50;
  let closed = false;
  let running: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;

  const round = async (): Promise<void> => {
    const ids = await enabledWebhookEndpointIds(database.db);
    await Promise.all(
      ids.map((endpointId) =>
        temporal.workflow
          .signalWithStart(webhookEndpointDelivery, {
            workflowId: webhookWorkflowId(endpointId),
            taskQueue: config.temporal.taskQueue,
            args: [webhookDeliveryInput(config.webhooks, endpointId)],
            signal: wakeSignal,
            signalArgs: [],
          })
          .catch((error: unknown) => logger.warn({ err: error, endpointId }, 'webhook wake-up failed')),
      ),
    );
  };

  /** One round at a time; a request during a round makes one more round after it. */
  const wakeAll = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await round();
        } catch (error) {
          logger.warn({ err: error }, 'webhook dispatcher round failed');
        }
      } while (again && !closed);
      running = null;
    })();
    return running;
  };

  const onNotify = (): void => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = null;
      void wakeAll();
    }, coalesceMs);
  };

  let unlisten: (() => Promise<void>) | null = null;
  try {
    unlisten = await database.listen(EVENTS_CHANNEL, onNotify);
  } catch (error) {
    logger.warn({ err: error }, 'cannot LISTEN for events: webhook workflows rely on their poll interval');
  }
  const sweep =
    config.webhooks.sweepIntervalMs > 0 ? setInterval(() => void wakeAll(), config.webhooks.sweepIntervalMs) : null;
  sweep?.unref();
  // Once at start: endpoints enabled while no worker ran get their workflow.
  void wakeAll();

  return {
    wakeAll,
    close: async () => {
      closed = true;
      if (sweep) clearInterval(sweep);
      if (timer) clearTimeout(timer);
      await running;
      await unlisten?.().catch(() => undefined);
    },
  };
}
