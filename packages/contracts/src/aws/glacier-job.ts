/**
 * The notification Amazon Glacier (vault API) publishes to the SNS topic named in
 * InitiateJob when a job ends; AWS's format. The thawer uses `ArchiveRetrieval` with
 * `StatusCode: Succeeded` to call GetJobOutput; `Failed` sends the record back to ARCHIVED.
 */
import Type, { type Static } from 'typebox';

export const GlacierJobCompleted = Type.Object(
  {
    Action: Type.Enum(['ArchiveRetrieval', 'InventoryRetrieval', 'Select']),
    JobId: Type.String({ minLength: 1 }),
    VaultARN: Type.String({ pattern: '^arn:[a-z-]+:glacier:' }),
    Completed: Type.Boolean(),
    StatusCode: Type.Enum(['InProgress', 'Succeeded', 'Failed']),
    StatusMessage: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    CreationDate: Type.String(),
    CompletionDate: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    ArchiveId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    ArchiveSizeInBytes: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
    ArchiveSHA256TreeHash: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    SHA256TreeHash: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    JobDescription: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    RetrievalByteRange: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    Tier: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    SNSTopic: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { title: 'GlacierJobCompleted' },
);
export type GlacierJobCompleted = Static<typeof GlacierJobCompleted>;
