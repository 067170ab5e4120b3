/** Who the caller is, and links the internal app needs. */
import { z } from 'zod';

export const Me = z
  .object({
    name: z.string().meta({ description: 'The token name, recorded as actor' }),
    role: z.enum(['storefront', 'support', 'admin']),
    temporalUiUrl: z
      .string()
      .nullable()
      .meta({ description: 'Base URL of the Temporal Web UI, for links to workflows' }),
    temporalNamespace: z.string(),
    grantLimit: z.number().int().nullable().meta({
      description: 'The most this token may grant at once (MAX_GRANT_AMOUNT for support); null: no role limit',
    }),
  })
  .meta({ id: 'Me' });
export type Me = z.infer<typeof Me>;
