/** OpenAPI registration of the promo-code routes. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  PromoCode,
  PromoCodeCreate,
  PromoCodeDeleted,
  PromoCodeList,
  PromoCodeListQuery,
  PromoCodeParam,
  PromoCodePatch,
  PromoCodeWithAudit,
} from '../../contracts/index.js';
import { bodyProblems, problems } from '../openapi-parts.js';

export function registerPromoCodePaths(registry: OpenAPIRegistry): void {
  const admin = "Role: admin. Every change is recorded in the code's audit trail (who, when, before, after).";
  registry.registerPath({
    method: 'post',
    path: '/v1/promo-codes',
    tags: ['Promo codes'],
    summary: 'Create a promo code',
    description: admin,
    request: { body: { required: true, content: { 'application/json': { schema: PromoCodeCreate } } } },
    responses: {
      201: { description: 'Created', content: { 'application/json': { schema: PromoCode } } },
      ...bodyProblems('promo_code_exists', 'promo_code_rules_invalid'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/promo-codes',
    tags: ['Promo codes'],
    summary: 'List promo codes, newest first',
    description: admin,
    request: { query: PromoCodeListQuery },
    responses: {
      200: { description: 'A page', content: { 'application/json': { schema: PromoCodeList } } },
      ...problems(),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/promo-codes/{code}',
    tags: ['Promo codes'],
    summary: 'A promo code with its audit trail',
    description: admin,
    request: { params: PromoCodeParam },
    responses: {
      200: { description: 'The code', content: { 'application/json': { schema: PromoCodeWithAudit } } },
      ...problems('promo_code_not_found'),
    },
  });
  registry.registerPath({
    method: 'patch',
    path: '/v1/promo-codes/{code}',
    tags: ['Promo codes'],
    summary: 'Change a promo code',
    description: `${admin} maxRedemptions cannot go below the uses already made or in flight.`,
    request: {
      params: PromoCodeParam,
      body: { required: true, content: { 'application/json': { schema: PromoCodePatch } } },
    },
    responses: {
      200: { description: 'The code after the change', content: { 'application/json': { schema: PromoCode } } },
      ...bodyProblems('promo_code_not_found', 'promo_code_rules_invalid'),
    },
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/promo-codes/{code}',
    tags: ['Promo codes'],
    summary: 'Delete a never-used code, or deactivate a used one',
    description: admin,
    request: { params: PromoCodeParam },
    responses: {
      200: { description: 'What happened', content: { 'application/json': { schema: PromoCodeDeleted } } },
      ...problems('promo_code_not_found'),
    },
  });
}
