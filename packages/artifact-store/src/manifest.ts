import { Type, type Static } from '@sinclair/typebox';
import { ARTIFACT_KEY_PATTERN, FILE_NAME_PATTERN } from './artifact-names.js';

export const SHA256_PATTERN = '^[0-9a-f]{64}$';

export const ManifestFileSchema = Type.Object({
  name: Type.String({ pattern: FILE_NAME_PATTERN }),
  size: Type.Integer({ minimum: 0 }),
  sha256: Type.String({ pattern: SHA256_PATTERN }),
}, { additionalProperties: false });
export type ManifestFile = Static<typeof ManifestFileSchema>;

/** What an uploader commits: the files of one artifact and their digests. */
export const ManifestBodySchema = Type.Object({
  files: Type.Array(ManifestFileSchema, { minItems: 1, maxItems: 32 }),
}, { additionalProperties: false });
export type ManifestBody = Static<typeof ManifestBodySchema>;

/** One artifact in the store: its key and every file with its size and sha256. */
export const ManifestSchema = Type.Object({
  key: Type.String({ pattern: ARTIFACT_KEY_PATTERN }),
  files: Type.Array(ManifestFileSchema),
  /** Sum of the files' sizes. */
  size: Type.Integer({ minimum: 0 }),
  createdAt: Type.String(),
}, { additionalProperties: false });
export type Manifest = Static<typeof ManifestSchema>;
