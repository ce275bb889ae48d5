/**
 * Field schemas shared by GAS messages and the job record. Times are ISO 8601 UTC strings as
 * produced by `Date.prototype.toISOString()` (they sort as text, which DynamoDB range keys
 * and conditions rely on). Ids are the strings the issuing side made; job ids are UUIDs.
 */
import Type from 'typebox';

export const JobId = Type.String({ format: 'uuid', description: 'job id (UUID), the DynamoDB key' });
export const UserId = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[^/~\\s]+$',
  description: 'GAS user id (no /, ~ or spaces: it is part of S3 keys)',
});
export const Email = Type.String({ format: 'email', maxLength: 320 });
export const IsoTime = Type.String({ format: 'date-time', description: 'ISO 8601 UTC time' });
export const UserTier = Type.Enum(['free', 'premium'], { description: 'account tier' });
export const BucketName = Type.String({ minLength: 3, maxLength: 63 });
export const ObjectKey = Type.String({ minLength: 1, maxLength: 1024, description: 'S3 object key' });
export const NonNegativeInt = Type.Integer({ minimum: 0 });

/** Version 1 of every GAS message; a consumer refuses versions it does not know. */
export const SchemaVersion1 = Type.Literal(1);
