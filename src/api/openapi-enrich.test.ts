/** The served document's precision: ids, tags, links, and cross-field rules stated as JSON Schema. */
import { describe, expect, it } from 'vitest';
import { CreditMovementRequest, PromoCodeCreate, PromoCodePatch, RefundRequest } from '../contracts/index.js';
import { buildOpenApiDocument } from './openapi.js';
import { deriveOperationId, pathMethods } from './openapi-enrich.js';

interface Operation {
  operationId?: string;
  tags?: string[];
  responses: Record<
    string,
    {
      links?: Record<
        string,
        { operationId: string; parameters: Record<string, string>; requestBody?: Record<string, string> }
      >;
    }
  >;
}
const doc = buildOpenApiDocument() as unknown as {
  paths: Record<string, Record<string, Operation>>;
  tags: { name: string; description?: string }[];
  components: { schemas: Record<string, Record<string, unknown>> };
};
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({ path, method, op })),
);

describe('the OpenAPI document', () => {
  it('gives every operation a unique operationId and declares every tag it uses', () => {
    const ids = operations.map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const declared = new Set(doc.tags.map((t) => t.name));
    for (const { op } of operations) for (const tag of op.tags ?? []) expect(declared).toContain(tag);
    expect(doc.tags.every((t) => (t.description ?? '').length > 10)).toBe(true);
  });

  it('links each creating operation to what can be done with what it created, to operations that exist', () => {
    const byId = new Map(operations.map(({ op }) => [op.operationId, op]));
    const linked = (from: string, status: string): string[] =>
      Object.values(byId.get(from)?.responses[status]?.links ?? {}).map((l) => l.operationId);
    expect(linked('createPurchase', '201')).toEqual(
      expect.arrayContaining(['getPurchase', 'listRefunds', 'createRefund', 'getPurchaseAttempt']),
    );
    expect(linked('createPurchase', '202')).toEqual(['getPurchaseAttempt', 'cancelPurchaseAttempt']);
    expect(linked('getPurchaseAttempt', '200')).toEqual(['cancelPurchaseAttempt']);
    expect(linked('listApprovals', '200')).toEqual(['getApproval', 'approveCreditChange', 'rejectCreditChange']);
    expect(byId.get('createPromoCode')?.responses['201']?.links?.CreatePurchaseWithPromoCode).toMatchObject({
      operationId: 'createPurchase',
      requestBody: { promoCode: '$response.body#/code' },
    });
    expect(linked('grantCredit', '201')).toEqual(expect.arrayContaining(['listCreditEntries', 'getCreditBalance']));
    expect(linked('createPromoCode', '201')).toEqual(
      expect.arrayContaining(['getPromoCode', 'updatePromoCode', 'deletePromoCode']),
    );
    for (const { op } of operations) {
      for (const response of Object.values(op.responses)) {
        for (const link of Object.values(response.links ?? {})) expect(byId.has(link.operationId)).toBe(true);
      }
    }
  });

  it('states the cross-field rules that zod checks, and the rule and the schema agree', () => {
    const credit = doc.components.schemas.CreditMovementRequest;
    expect(credit?.allOf).toEqual([
      {
        if: { properties: { reason: { enum: ['other', 'correction'] } }, required: ['reason'] },
        then: { required: ['note'], properties: { note: { not: { type: 'null' } } } },
      },
    ]);
    expect(doc.components.schemas.PromoCodePatch?.minProperties).toBe(1);
    expect(doc.components.schemas.PromoCodeCreate?.allOf).toHaveLength(2);
    expect(doc.components.schemas.RefundRequest?.allOf).toHaveLength(1);
    // The same rules, enforced:
    expect(CreditMovementRequest.safeParse({ amount: 1, currency: 'USD', reason: 'other' }).success).toBe(false);
    expect(
      CreditMovementRequest.safeParse({ amount: 1, currency: 'USD', reason: 'correction', note: '  ' }).success,
    ).toBe(false);
    expect(CreditMovementRequest.safeParse({ amount: 1, currency: 'USD', reason: 'other', note: 'why' }).success).toBe(
      true,
    );
    expect(RefundRequest.safeParse({ reason: 'other' }).success).toBe(false);
    expect(PromoCodeCreate.safeParse({ code: 'ABC', kind: 'amount', amountOff: 5 }).success).toBe(false);
    expect(
      PromoCodeCreate.safeParse({ code: 'ABC', kind: 'amount', amountOff: 5, currency: 'USD', percentOff: null })
        .success,
    ).toBe(true);
    expect(PromoCodeCreate.safeParse({ code: 'ABC', kind: 'percent', percentOff: 5, amountOff: 5 }).success).toBe(
      false,
    );
    expect(PromoCodePatch.safeParse({}).success).toBe(false);
  });

  it('declares 422 cursor_invalid on every list with a cursor', () => {
    for (const { op, path } of operations) {
      const params = (op as unknown as { parameters?: { in: string; name: string }[] }).parameters ?? [];
      if (params.some((p) => p.in === 'query' && p.name === 'cursor')) expect(op.responses['422'], path).toBeDefined();
    }
  });
});

describe('deriveOperationId and pathMethods', () => {
  it('derive readable ids and match templates segment by segment', () => {
    expect(deriveOperationId('get', '/v1/webhook-endpoints/{id}/deliveries')).toBe('listWebhookEndpointsDeliveries');
    expect(deriveOperationId('get', '/v1/approvals/{id}')).toBe('getApprovals');
    const table = pathMethods(doc);
    const purchase = table.find((t) => t.template === '/v1/purchases/{purchaseId}');
    expect(purchase?.pattern.test('/v1/purchases/pur_1')).toBe(true);
    expect(purchase?.pattern.test('/v1/purchases/pur_1/refunds')).toBe(false);
    expect(table.find((t) => t.template === '/v1/health')?.public).toBe(true);
    expect(table.find((t) => t.template === '/v1/me')?.public).toBe(false);
  });
});
