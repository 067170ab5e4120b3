/** Driving platform-mock's webhook receiver (platform-mock/src/webhook-receiver.ts) from tests. */
import { expect } from 'vitest';
import type { z } from 'zod';
import type { ReceivedDelivery, ReceiverConfig } from '../../platform-mock/src/webhook-receiver.js';

/** What `configure` sends: the receiver's configuration, its defaults left out. */
export type ReceiverSettings = z.input<typeof ReceiverConfig>;

/** A recorded delivery, with the body our service sends (an event). */
export type Received = Omit<ReceivedDelivery, 'body'> & {
  readonly body: {
    id: string;
    sequence: number | null;
    type: string;
    createdAt: string;
    data: Record<string, unknown>;
  } | null;
};

export class WebhookReceiver {
  readonly name: string;
  constructor(
    readonly platformUrl: string,
    name?: string,
  ) {
    this.name = name ?? `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  }

  /** The URL to register as the endpoint. */
  get url(): string {
    return `${this.platformUrl}/webhook-receiver/${this.name}`;
  }

  async configure(settings: ReceiverSettings): Promise<void> {
    const res = await fetch(`${this.platformUrl}/__control/webhook-receiver/${this.name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(settings),
    });
    expect(res.status, await res.text()).toBe(204);
  }

  async received(): Promise<Received[]> {
    const res = await fetch(`${this.platformUrl}/__control/webhook-receiver/${this.name}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: Received[] }).data;
  }

  /** The deliveries it accepted (verified and answered 2xx). */
  async accepted(): Promise<Received[]> {
    return (await this.received()).filter((r) => r.verified && r.answered !== null && r.answered < 300);
  }
}
