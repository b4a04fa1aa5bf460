import { Type } from '@sinclair/typebox';

/** The body of every error response. */
export const ErrorBodySchema = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'Stable, e.g. KBISECT_ERR_VALIDATION' }),
    message: Type.String(),
    field: Type.Optional(Type.String({ description: 'The request field at fault, when there is one' })),
  }),
});

export const errorResponses = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  409: ErrorBodySchema,
  413: ErrorBodySchema,
  414: ErrorBodySchema,
  415: ErrorBodySchema,
  429: ErrorBodySchema,
} as const;
