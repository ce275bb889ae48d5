/**
 * One e-mail per job, whatever the deliveries: SNS to SQS is at-least-once, SNS also rings
 * the webhook, and the annotator may re-publish JobCompleted after a crash.
 *
 * Idempotency is a conditional write on the job record, made BEFORE sending:
 *   claim  SET notify_lease_owner/notify_lease_expires_at
 *          IF notified_at is absent AND no live claim exists
 *   send   SES v2 SendEmail
 *   mark   SET notified_at, notification_message_id; REMOVE the claim
 *   (SES refused or failed: REMOVE the claim, keep the reason in `notify_error` for the
 *   operator, and throw, so the message is retried with backoff)
 * Trade-off: claiming first means two deliveries never both send (no duplicate e-mail from
 * concurrent deliveries). A notifier that dies between SendEmail and `mark` leaves a claim
 * that lapses after NOTIFY_LEASE_SECONDS; the retry then sends again, so the only duplicate
 * left is a crash in that millisecond window (at-least-once, never zero). Marking before
 * sending would instead lose the e-mail on such a crash; we prefer a rare duplicate.
 *
 * "Available again" e-mails (ArchiveRestored) are keyed by the restore time
 * (`restore_notified_for = restored_at`, claimed before sending, released on failure):
 * every restore is announced once, a redelivery of the same restore never.
 *
 * The address is the job record's `user_email` (set by web from the account); a record
 * with `email_notifications: false` (the user turned e-mails off) gets none.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ArchiveRestored, JobCompleted, JobRecord } from '@gas/contracts';
import { PoisonMessageError } from '@gas/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import type { MailKind, MailTemplates } from './mail/templates.ts';

export type NotifierDeps = {
  doc: DynamoDBDocumentClient;
  ses: SESv2Client;
  templates: MailTemplates;
  table: string;
  mailFrom: string;
  webBaseUrl: string;
  owner: string;
  leaseSeconds: number;
};

export type NotifyResult = 'sent' | 'already-sent' | 'opted-out';

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string })?.name === 'ConditionalCheckFailedException'
  );
}

/** The job page (not a presigned link: it does not expire and checks who is logged in). */
export function jobPageUrl(webBaseUrl: string, jobId: string): string {
  return new URL(
    `annotations/${encodeURIComponent(jobId)}`,
    webBaseUrl.endsWith('/') ? webBaseUrl : `${webBaseUrl}/`,
  ).toString();
}

function formatCount(n: number | undefined): string {
  return (n ?? 0).toLocaleString('en-US');
}

export function createNotifier(deps: NotifierDeps) {
  const { doc, table } = deps;
  const settingsUrl = new URL(
    'account',
    deps.webBaseUrl.endsWith('/') ? deps.webBaseUrl : `${deps.webBaseUrl}/`,
  ).toString();

  async function getRecord(jobId: string): Promise<JobRecord | undefined> {
    const out = await doc.send(
      new GetCommand({ TableName: table, Key: { job_id: jobId }, ConsistentRead: true }),
    );
    return out.Item as JobRecord | undefined;
  }

  async function send(to: string, kind: MailKind, data: Record<string, unknown>): Promise<string> {
    const mail = deps.templates.render(kind, { ...data, settings_url: settingsUrl });
    const out = await deps.ses.send(
      new SendEmailCommand({
        FromEmailAddress: deps.mailFrom,
        Destination: { ToAddresses: [to] },
        Content: {
          Simple: {
            Subject: { Data: mail.subject, Charset: 'UTF-8' },
            Body: {
              Text: { Data: mail.text, Charset: 'UTF-8' },
              Html: { Data: mail.html, Charset: 'UTF-8' },
            },
          },
        },
      }),
    );
    return out.MessageId ?? 'unknown';
  }

  async function jobCompleted(message: JobCompleted, log: FastifyBaseLogger): Promise<NotifyResult> {
    const record = await getRecord(message.job_id);
    if (!record) throw new PoisonMessageError(`job ${message.job_id} has no record in the jobs table`);
    if (record.notified_at) return 'already-sent';
    if (record.email_notifications === false) {
      log.info({ job_id: message.job_id }, 'user turned job e-mails off; nothing sent');
      return 'opted-out';
    }
    const now = new Date();
    try {
      await doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { job_id: message.job_id },
          UpdateExpression: 'SET notify_lease_owner = :owner, notify_lease_expires_at = :expires',
          ConditionExpression:
            'attribute_exists(job_id) AND attribute_not_exists(notified_at) AND (attribute_not_exists(notify_lease_expires_at) OR notify_lease_expires_at < :now)',
          ExpressionAttributeValues: {
            ':owner': deps.owner,
            ':expires': new Date(now.getTime() + deps.leaseSeconds * 1000).toISOString(),
            ':now': now.toISOString(),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Another delivery holds the claim: it usually finishes within a second; look again
      // a few times before handing the message back for a later retry.
      for (let look = 0; look < 8; look++) {
        const current = await getRecord(message.job_id);
        if (current?.notified_at) return 'already-sent';
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error(
        `job ${message.job_id}: another delivery is sending its e-mail right now; retrying later`,
      );
    }

    const data = {
      file_name: message.input_file_name,
      job_url: jobPageUrl(deps.webBaseUrl, message.job_id),
      submitted_at: message.submitted_at,
      completed_at: message.completed_at,
      ...(message.status === 'COMPLETED'
        ? {
            counts: {
              variants_read: formatCount(message.counts.variants_read),
              variants_annotated: formatCount(message.counts.variants_annotated),
              records_skipped:
                message.counts.records_skipped > 0 ? formatCount(message.counts.records_skipped) : 0,
              consequences: formatCount(message.counts.consequences),
            },
          }
        : { error_message: message.error_message }),
    };
    let sesMessageId: string;
    try {
      sesMessageId = await send(
        record.user_email,
        message.status === 'COMPLETED' ? 'job-completed' : 'job-failed',
        data,
      );
    } catch (error) {
      await doc
        .send(
          new UpdateCommand({
            TableName: table,
            Key: { job_id: message.job_id },
            UpdateExpression: 'SET notify_error = :error REMOVE notify_lease_owner, notify_lease_expires_at',
            ConditionExpression: 'notify_lease_owner = :owner',
            ExpressionAttributeValues: {
              ':owner': deps.owner,
              ':error': `${(error as Error).name}: ${(error as Error).message}`.slice(0, 1000),
            },
          }),
        )
        .catch((releaseError: unknown) =>
          log.warn({ err: releaseError }, 'could not release the e-mail claim'),
        );
      throw error;
    }
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { job_id: message.job_id },
        UpdateExpression:
          'SET notified_at = :now, notification_message_id = :id REMOVE notify_lease_owner, notify_lease_expires_at, notify_error',
        ExpressionAttributeValues: { ':now': new Date().toISOString(), ':id': sesMessageId },
      }),
    );
    log.info(
      { job_id: message.job_id, status: message.status, ses_message_id: sesMessageId },
      'job e-mail sent',
    );
    return 'sent';
  }

  async function archiveRestored(message: ArchiveRestored, log: FastifyBaseLogger): Promise<NotifyResult> {
    const record = await getRecord(message.job_id);
    if (!record) throw new PoisonMessageError(`job ${message.job_id} has no record in the jobs table`);
    if (record.restore_notified_for === message.restored_at) return 'already-sent';
    if (record.email_notifications === false) return 'opted-out';
    try {
      await doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { job_id: message.job_id },
          UpdateExpression: 'SET restore_notified_for = :restored',
          ConditionExpression:
            'attribute_exists(job_id) AND (attribute_not_exists(restore_notified_for) OR restore_notified_for <> :restored)',
          ExpressionAttributeValues: { ':restored': message.restored_at },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return 'already-sent';
      throw error;
    }
    try {
      const id = await send(record.user_email, 'archive-restored', {
        file_name: record.input_file_name,
        job_url: jobPageUrl(deps.webBaseUrl, message.job_id),
        restored_at: message.restored_at,
      });
      log.info({ job_id: message.job_id, ses_message_id: id }, 'results-available-again e-mail sent');
      return 'sent';
    } catch (error) {
      await doc
        .send(
          new UpdateCommand({
            TableName: table,
            Key: { job_id: message.job_id },
            UpdateExpression: 'REMOVE restore_notified_for',
            ConditionExpression: 'restore_notified_for = :restored',
            ExpressionAttributeValues: { ':restored': message.restored_at },
          }),
        )
        .catch(() => undefined);
      throw error;
    }
  }

  return { jobCompleted, archiveRestored };
}
