/** Driving platform-mock from tests: data, faults, call counters, shipments. */
import { expect } from 'vitest';

export interface Fault {
  readonly operation:
    | 'createShipment'
    | 'getCustomer'
    | 'getProduct'
    | 'listCustomers'
    | 'listProducts'
    | 'getShipment'
    | 'listShipments';
  readonly mode: 'error' | 'timeout' | 'reject';
  readonly status?: number;
  readonly times?: number;
  readonly delayMs?: number;
}

export interface PlatformShipmentRecord {
  readonly id: string;
  readonly status: string;
  readonly customerId: string;
  readonly productId: string;
  readonly quantity: number;
  readonly address: Record<string, unknown>;
}

export class PlatformControl {
  constructor(readonly url: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return text ? JSON.parse(text) : null;
  }

  async fault(fault: Fault): Promise<void> {
    await this.call('POST', '/__control/faults', fault);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/__control/faults');
  }

  async calls(): Promise<Record<string, number>> {
    return (await this.call('GET', '/__control/calls')) as Record<string, number>;
  }

  async resetCalls(): Promise<void> {
    await this.call('DELETE', '/__control/calls');
  }

  async shipmentsFor(idempotencyKey: string): Promise<PlatformShipmentRecord[]> {
    const page = (await this.call('GET', `/shipments?idempotencyKey=${encodeURIComponent(idempotencyKey)}`)) as {
      data: PlatformShipmentRecord[];
    };
    return page.data;
  }

  async allShipments(): Promise<PlatformShipmentRecord[]> {
    return ((await this.call('GET', '/shipments')) as { data: PlatformShipmentRecord[] }).data;
  }

  /** A customer of the test's own, so balances are not shared with other tests. */
  async newCustomer(
    address: Record<string, unknown> = {
      line1: '1 Main Street',
      city: 'Springfield',
      postalCode: '12345',
      country: 'US',
    },
  ): Promise<string> {
    const created = (await this.call('POST', '/customers', {
      name: 'Test Customer',
      email: 'test.customer@example.com',
      address,
    })) as { id: string };
    return created.id;
  }

  async newProduct(amount: number, currency = 'USD', active = true): Promise<string> {
    const created = (await this.call('POST', '/products', {
      name: `Test product ${amount}`,
      description: 'made by a test',
      price: { amount, currency },
      active,
    })) as { id: string };
    return created.id;
  }

  async patchProduct(id: string, patch: Record<string, unknown>): Promise<void> {
    await this.call('PATCH', `/products/${id}`, patch);
  }

  async patchCustomer(id: string, patch: Record<string, unknown>): Promise<void> {
    await this.call('PATCH', `/customers/${id}`, patch);
  }
}
