/**
 * The platform's state and its seed data: in memory, and — when given a file (`npm run dev`
 * passes one under DATA_DIR) — written through to a JSON snapshot after every change and
 * loaded from it on start, so a restarted platform still knows the shipments it created.
 * Every read returns a copy, so callers (the HTTP layer, tests) cannot change the store
 * behind its back.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { Customer, Product, Shipment } from './schemas.js';
import type { CustomerCreate, CustomerUpdate, ProductCreate, ProductUpdate, ShipmentCreate } from './schemas.js';

/** `updatedAt` of every seeded record. */
export const SEED_UPDATED_AT = '2026-01-01T00:00:00.000Z';

export const SEED_CUSTOMERS: readonly Customer[] = [
  {
    id: 'cus_ada',
    name: 'Ada Lovelace',
    email: 'ada.lovelace@example.com',
    address: { line1: "12 St James's Square", city: 'London', postalCode: 'SW1Y 4LB', country: 'GB' },
    updatedAt: SEED_UPDATED_AT,
  },
  {
    id: 'cus_grace',
    name: 'Grace Hopper',
    email: 'grace.hopper@example.com',
    address: { line1: '91 Bleecker Street', line2: 'Apt 4B', city: 'New York', postalCode: '10012', country: 'US' },
    updatedAt: SEED_UPDATED_AT,
  },
  {
    id: 'cus_alan',
    name: 'Alan Turing',
    email: 'alan.turing@example.com',
    address: { line1: '43 Adlington Road', city: 'Wilmslow', postalCode: 'SK9 2BJ', country: 'GB' },
    updatedAt: SEED_UPDATED_AT,
  },
  {
    id: 'cus_edsger',
    name: 'Edsger Dijkstra',
    email: 'edsger.dijkstra@example.com',
    address: {
      line1: 'Plantage Muidergracht 24',
      line2: '3rd floor',
      city: 'Amsterdam',
      postalCode: '1018 TV',
      country: 'NL',
    },
    updatedAt: SEED_UPDATED_AT,
  },
  {
    id: 'cus_barbara',
    name: 'Barbara Liskov',
    email: 'barbara.liskov@example.com',
    address: { line1: '45 Linnaean Street', city: 'Cambridge', postalCode: '02138', country: 'US' },
    updatedAt: SEED_UPDATED_AT,
  },
  {
    // An incomplete record: the empty postalCode makes POST /shipments answer 400 invalid_address.
    id: 'cus_noaddr',
    name: 'Hedy Lamarr',
    email: 'hedy.lamarr@example.com',
    address: { line1: '1 Orchard Lane', city: 'Springfield', postalCode: '', country: 'US' },
    updatedAt: SEED_UPDATED_AT,
  },
];

export const SEED_PRODUCTS: readonly Product[] = [
  {
    id: 'prod_keyboard',
    name: 'Mechanical Keyboard',
    description: 'Tenkeyless mechanical keyboard with hot-swappable tactile switches and a detachable USB-C cable.',
    price: { amount: 8999, currency: 'USD' },
    active: true,
    updatedAt: SEED_UPDATED_AT,
  },
  {
    id: 'prod_mouse',
    name: 'Wireless Mouse',
    description: 'Ergonomic wireless mouse, 2.4 GHz and Bluetooth, rechargeable battery.',
    price: { amount: 2999, currency: 'USD' },
    active: true,
    updatedAt: SEED_UPDATED_AT,
  },
  {
    id: 'prod_monitor',
    name: '27-inch 4K Monitor',
    description: '27-inch IPS panel, 3840×2160, USB-C with 65 W power delivery, height-adjustable stand.',
    price: { amount: 34999, currency: 'USD' },
    active: true,
    updatedAt: SEED_UPDATED_AT,
  },
  {
    id: 'prod_cable',
    name: 'USB-C Cable',
    description: 'Braided USB-C to USB-C cable, 2 m, 100 W, USB 3.2 Gen 2.',
    price: { amount: 999, currency: 'USD' },
    active: true,
    updatedAt: SEED_UPDATED_AT,
  },
  {
    id: 'prod_lamp',
    name: 'Desk Lamp (discontinued)',
    description: 'LED desk lamp with adjustable colour temperature. No longer sold.',
    price: { amount: 4599, currency: 'USD' },
    active: false,
    updatedAt: SEED_UPDATED_AT,
  },
  {
    id: 'prod_mug',
    name: 'Enamel Mug',
    description: 'Enamelled steel camping mug, 350 ml. Sold in euros.',
    price: { amount: 1500, currency: 'EUR' },
    active: true,
    updatedAt: SEED_UPDATED_AT,
  },
];

export interface Page<T> {
  items: T[];
  /** Whether more items follow the last one in `items`. */
  hasMore: boolean;
}

export interface ListQuery {
  /** Case-insensitive substring filter; empty or undefined matches everything. */
  query?: string | undefined;
  limit: number;
  /** Return only items whose id sorts after this one. */
  after?: string | undefined;
}

export type CreateResult<T> = { ok: true; value: T } | { ok: false; reason: 'exists' };

export type CreateShipmentResult =
  | { kind: 'created'; shipment: Shipment }
  | { kind: 'replayed'; shipment: Shipment }
  | { kind: 'key_reused'; shipment: Shipment }
  | { kind: 'unknown_customer' }
  | { kind: 'unknown_product' };

/** The outcome of a status change of a shipment. */
export type ShipmentTransition =
  | { kind: 'ok'; shipment: Shipment }
  | { kind: 'not_found' }
  /** The shipment is in a state the change cannot leave: shipped (for a cancel) or cancelled (for a ship). */
  | { kind: 'conflict'; shipment: Shipment };

export interface PlatformStoreOptions {
  /** Load the seed data on construction and on reset (default true). */
  seed?: boolean;
  /** Clock, for tests; defaults to the wall clock. */
  now?: () => Date;
  /**
   * A JSON file that keeps the store across restarts: loaded when it exists (the seed is not
   * applied then), rewritten after every change. Unset: memory only (tests).
   */
  file?: string;
}

/** The file's format. A file that does not parse as this stops the start with a message. */
const Snapshot = z.strictObject({
  version: z.literal(1),
  customers: z.array(Customer),
  products: z.array(Product),
  shipments: z.array(z.strictObject({ shipment: Shipment, requestFingerprint: z.string() })),
});
type Snapshot = z.infer<typeof Snapshot>;

const clone = <T>(value: T): T => structuredClone(value);

function randomSuffix(): string {
  return randomBytes(8).toString('hex');
}

/** Orders by id with a plain code-unit comparison, so cursors are stable across locales. */
function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function page<T extends { id: string }>(all: Iterable<T>, q: ListQuery, haystack: (item: T) => string[]): Page<T> {
  const needle = q.query?.trim().toLowerCase() ?? '';
  const matches = [...all]
    .filter((item) => q.after === undefined || item.id > q.after)
    .filter((item) => needle === '' || haystack(item).some((field) => field.toLowerCase().includes(needle)))
    .sort(byId);
  return { items: matches.slice(0, q.limit).map(clone), hasMore: matches.length > q.limit };
}

/** Canonical JSON (sorted keys), to compare request bodies independent of key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

interface StoredShipment {
  shipment: Shipment;
  /** Canonical JSON of the creating request, to tell a replay from a reused key. */
  requestFingerprint: string;
}

/** The platform's in-memory customers, products and shipments. */
export class PlatformStore {
  private readonly customers = new Map<string, Customer>();
  private readonly products = new Map<string, Product>();
  private readonly shipments = new Map<string, StoredShipment>();
  private readonly shipmentsByKey = new Map<string, string>();
  private readonly seedOnReset: boolean;
  private readonly now: () => Date;
  private readonly file: string | undefined;

  constructor(options: PlatformStoreOptions = {}) {
    this.seedOnReset = options.seed ?? true;
    this.now = options.now ?? ((): Date => new Date());
    this.file = options.file === undefined ? undefined : path.resolve(options.file);
    if (this.file && existsSync(this.file)) this.load(this.file);
    else this.reset();
  }

  /** Empties the store and reloads the seed data (unless constructed with `seed: false`). */
  reset(): void {
    this.customers.clear();
    this.products.clear();
    this.shipments.clear();
    this.shipmentsByKey.clear();
    if (this.seedOnReset) {
      for (const c of SEED_CUSTOMERS) this.customers.set(c.id, clone(c));
      for (const p of SEED_PRODUCTS) this.products.set(p.id, clone(p));
    }
    this.persist();
  }

  private load(file: string): void {
    let snapshot: Snapshot;
    try {
      snapshot = Snapshot.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch (error) {
      const reason =
        error instanceof z.ZodError
          ? 'not a platform-mock store'
          : error instanceof Error
            ? error.message
            : String(error);
      throw new Error(
        `platform-mock: cannot load its store from ${file} (${reason}); delete the file to start again from the seed data`,
      );
    }
    for (const c of snapshot.customers) this.customers.set(c.id, c);
    for (const p of snapshot.products) this.products.set(p.id, p);
    for (const s of snapshot.shipments) {
      this.shipments.set(s.shipment.id, s);
      this.shipmentsByKey.set(s.shipment.idempotencyKey, s.shipment.id);
    }
  }

  /** Writes the whole store (small: a dev stack's records) to a temporary file, then renames it over the old one. */
  private persist(): void {
    if (!this.file) return;
    const snapshot: Snapshot = {
      version: 1,
      customers: [...this.customers.values()],
      products: [...this.products.values()],
      shipments: [...this.shipments.values()],
    };
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(snapshot));
    renameSync(tmp, this.file);
  }

  // Customers

  listCustomers(q: ListQuery): Page<Customer> {
    return page(this.customers.values(), q, (c) => [c.id, c.name, c.email]);
  }

  getCustomer(id: string): Customer | undefined {
    const c = this.customers.get(id);
    return c && clone(c);
  }

  createCustomer(input: CustomerCreate): CreateResult<Customer> {
    const id = input.id ?? this.newId('cus_', this.customers);
    if (this.customers.has(id)) return { ok: false, reason: 'exists' };
    const customer: Customer = {
      id,
      name: input.name,
      email: input.email,
      address: clone(input.address),
      updatedAt: this.timestamp(),
    };
    this.customers.set(id, customer);
    this.persist();
    return { ok: true, value: clone(customer) };
  }

  updateCustomer(id: string, patch: CustomerUpdate): Customer | undefined {
    const current = this.customers.get(id);
    if (!current) return undefined;
    const next: Customer = {
      ...current,
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.email !== undefined && { email: patch.email }),
      ...(patch.address !== undefined && { address: clone(patch.address) }),
      updatedAt: this.timestamp(current.updatedAt),
    };
    this.customers.set(id, next);
    this.persist();
    return clone(next);
  }

  // Products

  listProducts(q: ListQuery): Page<Product> {
    return page(this.products.values(), q, (p) => [p.id, p.name, p.description]);
  }

  getProduct(id: string): Product | undefined {
    const p = this.products.get(id);
    return p && clone(p);
  }

  createProduct(input: ProductCreate): CreateResult<Product> {
    const id = input.id ?? this.newId('prod_', this.products);
    if (this.products.has(id)) return { ok: false, reason: 'exists' };
    const product: Product = {
      id,
      name: input.name,
      description: input.description ?? '',
      price: clone(input.price),
      active: input.active ?? true,
      updatedAt: this.timestamp(),
    };
    this.products.set(id, product);
    this.persist();
    return { ok: true, value: clone(product) };
  }

  updateProduct(id: string, patch: ProductUpdate): Product | undefined {
    const current = this.products.get(id);
    if (!current) return undefined;
    const next: Product = {
      ...current,
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.price !== undefined && { price: clone(patch.price) }),
      ...(patch.active !== undefined && { active: patch.active }),
      updatedAt: this.timestamp(current.updatedAt),
    };
    this.products.set(id, next);
    this.persist();
    return clone(next);
  }

  // Shipments

  /**
   * Creates a shipment once per idempotency key. The check and the insert run in one
   * synchronous step, so concurrent requests with the same key cannot both create one.
   */
  createShipment(idempotencyKey: string, input: ShipmentCreate): CreateShipmentResult {
    const fingerprint = canonicalJson(input);
    const existingId = this.shipmentsByKey.get(idempotencyKey);
    const existing = existingId === undefined ? undefined : this.shipments.get(existingId);
    if (existing) {
      const kind = existing.requestFingerprint === fingerprint ? 'replayed' : 'key_reused';
      return { kind, shipment: clone(existing.shipment) };
    }
    if (!this.customers.has(input.customerId)) return { kind: 'unknown_customer' };
    if (!this.products.has(input.productId)) return { kind: 'unknown_product' };
    const shipment: Shipment = {
      id: this.newId('shp_', this.shipments),
      status: 'created',
      customerId: input.customerId,
      productId: input.productId,
      quantity: input.quantity,
      address: clone(input.address),
      idempotencyKey,
      createdAt: this.timestamp(),
    };
    this.shipments.set(shipment.id, { shipment, requestFingerprint: fingerprint });
    this.shipmentsByKey.set(idempotencyKey, shipment.id);
    this.persist();
    return { kind: 'created', shipment: clone(shipment) };
  }

  getShipment(id: string): Shipment | undefined {
    const s = this.shipments.get(id);
    return s && clone(s.shipment);
  }

  /** All shipments in creation order, or the one created with `idempotencyKey`. */
  listShipments(filter: { idempotencyKey?: string | undefined } = {}): Shipment[] {
    if (filter.idempotencyKey !== undefined) {
      const id = this.shipmentsByKey.get(filter.idempotencyKey);
      const s = id === undefined ? undefined : this.shipments.get(id);
      return s ? [clone(s.shipment)] : [];
    }
    return [...this.shipments.values()].map((s) => clone(s.shipment));
  }

  /**
   * Cancels a shipment; cancelling a cancelled shipment changes nothing (`cancelled`, the
   * stored one). A shipment that has shipped can no longer be cancelled (`conflict`).
   */
  cancelShipment(id: string): ShipmentTransition {
    const stored = this.shipments.get(id);
    if (!stored) return { kind: 'not_found' };
    if (stored.shipment.status === 'shipped') return { kind: 'conflict', shipment: clone(stored.shipment) };
    if (stored.shipment.status !== 'cancelled') {
      stored.shipment = {
        ...stored.shipment,
        status: 'cancelled',
        cancelledAt: this.timestamp(stored.shipment.createdAt),
      };
      this.persist();
    }
    return { kind: 'ok', shipment: clone(stored.shipment) };
  }

  /**
   * Hands a shipment to the carrier (test control: the platform's warehouse does this on its
   * own). Shipping a shipped one changes nothing; a cancelled one cannot ship.
   */
  shipShipment(id: string): ShipmentTransition {
    const stored = this.shipments.get(id);
    if (!stored) return { kind: 'not_found' };
    if (stored.shipment.status === 'cancelled') return { kind: 'conflict', shipment: clone(stored.shipment) };
    if (stored.shipment.status !== 'shipped') {
      stored.shipment = { ...stored.shipment, status: 'shipped', shippedAt: this.timestamp(stored.shipment.createdAt) };
      this.persist();
    }
    return { kind: 'ok', shipment: clone(stored.shipment) };
  }

  private newId(prefix: string, taken: Map<string, unknown>): string {
    for (;;) {
      const id = `${prefix}${randomSuffix()}`;
      if (!taken.has(id)) return id;
    }
  }

  /** Now, but strictly after `previous`, so every change moves `updatedAt` (and the ETag) forward. */
  private timestamp(previous?: string): string {
    const now = this.now().getTime();
    const floor = previous === undefined ? Number.NEGATIVE_INFINITY : Date.parse(previous) + 1;
    return new Date(Math.max(now, floor)).toISOString();
  }
}
