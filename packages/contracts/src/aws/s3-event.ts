/**
 * The S3 event notification that S3 publishes to SNS (`cold-storage-events`), AWS's format
 * (eventVersion 2.x). The thawer reacts to `ObjectRestore:Completed` (a GLACIER-class object
 * is readable again) and `ObjectCreated:*`. When a notification configuration is saved, S3
 * first sends a one-off `s3:TestEvent` of another shape; consumers acknowledge and ignore it.
 * Object keys arrive URL-encoded (`+` for space): use `decodeS3EventKey`.
 */
import Type, { type Static } from 'typebox';

export const S3EventRecord = Type.Object({
  eventVersion: Type.String({ pattern: '^2\\.' }),
  eventSource: Type.Literal('aws:s3'),
  awsRegion: Type.String({ minLength: 1 }),
  eventTime: Type.String({ format: 'date-time' }),
  eventName: Type.String({ pattern: '^(ObjectCreated|ObjectRestore|ObjectRemoved|LifecycleTransition):' }),
  s3: Type.Object({
    s3SchemaVersion: Type.String(),
    configurationId: Type.Optional(Type.String()),
    bucket: Type.Object({ name: Type.String({ minLength: 1 }), arn: Type.Optional(Type.String()) }),
    object: Type.Object({
      key: Type.String({ minLength: 1 }),
      size: Type.Optional(Type.Integer({ minimum: 0 })),
      eTag: Type.Optional(Type.String()),
      versionId: Type.Optional(Type.String()),
      sequencer: Type.Optional(Type.String()),
    }),
  }),
  glacierEventData: Type.Optional(
    Type.Object({
      restoreEventData: Type.Object({
        lifecycleRestorationExpiryTime: Type.Optional(Type.String()),
        lifecycleRestoreStorageClass: Type.Optional(Type.String()),
      }),
    }),
  ),
});
export type S3EventRecord = Static<typeof S3EventRecord>;

export const S3EventNotification = Type.Object(
  { Records: Type.Array(S3EventRecord, { minItems: 1 }) },
  { title: 'S3EventNotification' },
);
export type S3EventNotification = Static<typeof S3EventNotification>;

export const S3TestEvent = Type.Object(
  {
    Service: Type.Literal('Amazon S3'),
    Event: Type.Literal('s3:TestEvent'),
    Time: Type.String(),
    Bucket: Type.String(),
  },
  { title: 'S3TestEvent' },
);
export type S3TestEvent = Static<typeof S3TestEvent>;

export const S3RestoreCompletedEvent = 'ObjectRestore:Completed';

/** S3 event keys are form-encoded: `+` is a space, `%XX` an octet. */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}
