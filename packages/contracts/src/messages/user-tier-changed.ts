import Type, { type Static } from 'typebox';
import { Email, IsoTime, SchemaVersion1, UserId, UserTier } from './fields.ts';

/** Published by web on `user-tier-changed` after the account tier was stored. */
export const UserTierChanged = Type.Object(
  {
    schema_version: SchemaVersion1,
    type: Type.Literal('UserTierChanged'),
    user_id: UserId,
    user_email: Email,
    previous_tier: UserTier,
    new_tier: UserTier,
    changed_at: IsoTime,
    /** What caused it, e.g. the Stripe event id (`evt_...`), for tracing. */
    cause: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { title: 'UserTierChanged' },
);
export type UserTierChanged = Static<typeof UserTierChanged>;
