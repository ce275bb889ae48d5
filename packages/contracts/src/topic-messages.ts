/**
 * Which message schema travels on which topic: consumers look up the schema by topic key
 * instead of naming it twice. `cold-storage-events` carries AWS's own formats.
 */
import Type, { type Static } from 'typebox';
import { GlacierJobCompleted } from './aws/glacier-job.ts';
import { S3EventNotification, S3TestEvent } from './aws/s3-event.ts';
import {
  type SqsMessageLike,
  type UnwrapOptions,
  type UnwrappedSqsMessage,
  unwrapSqsMessage,
} from './envelopes/sqs.ts';
import { ArchiveRestored } from './messages/archive-restored.ts';
import { JobCompleted } from './messages/job-completed.ts';
import { JobRequested } from './messages/job-requested.ts';
import { UserTierChanged } from './messages/user-tier-changed.ts';
import type { TopicKey } from './resources.ts';

export const ColdStorageEvent = Type.Union([S3EventNotification, S3TestEvent, GlacierJobCompleted], {
  title: 'ColdStorageEvent',
});
export type ColdStorageEvent = Static<typeof ColdStorageEvent>;

export const topicMessages = {
  jobRequests: JobRequested,
  jobCompleted: JobCompleted,
  userTierChanged: UserTierChanged,
  archiveRestored: ArchiveRestored,
  coldStorageEvents: ColdStorageEvent,
} as const satisfies Record<TopicKey, unknown>;

export type TopicMessage<T extends TopicKey> = Static<(typeof topicMessages)[T]>;

/**
 * Opens an SQS message from a queue subscribed to `topic` and validates it with that
 * topic's schema (see `unwrapSqsMessage` for delivery modes and errors).
 */
export function unwrapTopicMessage<T extends TopicKey>(
  sqsMessage: SqsMessageLike,
  topic: T,
  options: UnwrapOptions = {},
): UnwrappedSqsMessage<TopicMessage<T>> {
  return unwrapSqsMessage(sqsMessage, topicMessages[topic], options) as UnwrappedSqsMessage<TopicMessage<T>>;
}
