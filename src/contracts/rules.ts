/**
 * Cross-field rules stated once, enforced by zod and written into the JSON Schema of the
 * OpenAPI document (`allOf` of `if`/`then`, `minProperties`), so that a request the document
 * calls valid is one the server accepts. zod-to-openapi cannot see inside a `superRefine`; these
 * rules carry their JSON Schema with them. No I/O: the internal app imports contracts too.
 */
import type { z } from 'zod';

/** One rule: its JSON Schema (draft 2020-12) fragment and the same rule as a check. */
export interface CrossFieldRule {
  readonly jsonSchema: Record<string, unknown>;
  /** The issue when the rule is broken, else null. */
  readonly check: (value: Record<string, unknown>) => { readonly path: string; readonly message: string } | null;
}

const present = (value: unknown): boolean => value !== undefined && value !== null;

/**
 * When `field` has one of `values`, each of `required` must be present and not null, and each of
 * `forbidden` absent or null.
 */
export function whenField(
  field: string,
  values: readonly string[],
  rule: { readonly required?: readonly string[]; readonly forbidden?: readonly string[]; readonly message: string },
): CrossFieldRule {
  const required = rule.required ?? [];
  const forbidden = rule.forbidden ?? [];
  const properties: Record<string, unknown> = {};
  for (const name of required) properties[name] = { not: { type: 'null' } };
  for (const name of forbidden) properties[name] = { type: 'null' };
  return {
    jsonSchema: {
      if: { properties: { [field]: { enum: [...values] } }, required: [field] },
      then: { ...(required.length > 0 ? { required: [...required] } : {}), properties },
    },
    check: (value) => {
      const current = value[field];
      if (typeof current !== 'string' || !values.includes(current)) return null;
      const missing = required.find((name) => !present(value[name]));
      if (missing) return { path: missing, message: rule.message };
      const extra = forbidden.find((name) => present(value[name]));
      return extra ? { path: extra, message: rule.message } : null;
    },
  };
}

/** At least one member. */
export function notEmpty(message: string): CrossFieldRule {
  return {
    jsonSchema: { minProperties: 1 },
    check: (value) => (Object.keys(value).length > 0 ? null : { path: '', message }),
  };
}

/**
 * The object schema with its rules checked and stated: `meta` is the schema's OpenAPI metadata
 * (`id`, `description`), to which the rules' JSON Schema is added.
 */
export function withRules<T extends z.ZodObject>(
  schema: T,
  rules: readonly CrossFieldRule[],
  meta: { readonly id: string; readonly description?: string },
): T {
  const jsonSchema = rules.map((r) => r.jsonSchema);
  const merged = Object.assign({}, ...jsonSchema.filter((s) => !('if' in s))) as Record<string, unknown>;
  const conditionals = jsonSchema.filter((s) => 'if' in s);
  return schema
    .superRefine((value, ctx) => {
      for (const rule of rules) {
        const issue = rule.check(value);
        if (issue) ctx.addIssue({ code: 'custom', path: issue.path ? [issue.path] : [], message: issue.message });
      }
    })
    .meta({ ...meta, ...merged, ...(conditionals.length > 0 ? { allOf: conditionals } : {}) });
}
