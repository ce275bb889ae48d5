import type { DevcloudContext } from '../edge/types.ts';
import type { IdentityStore } from './identities.ts';
import type { Mailbox } from './mailbox.ts';

/** What the SES handlers share. */
export interface SesDeps {
  ctx: DevcloudContext;
  mailbox: Mailbox;
  identities: IdentityStore;
}

/** The figures a new SES account gets in the sandbox (GetSendQuota / GetAccount). */
export const SEND_QUOTA = { max24HourSend: 200, maxSendRate: 1 };
