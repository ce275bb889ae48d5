/**
 * The notifier against a provisioned devcloud (SES v2 into the devcloud mailbox), built in
 * this process and subscribed to its topics (queue + webhook). JobCompleted and
 * ArchiveRestored messages are published to the real topics, as the annotator and the
 * thawer publish them.
 */
import { CreateEmailIdentityCommand } from '@aws-sdk/client-sesv2';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { ArchiveRestored, JobCompleted } from '@gas/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  type PipelineCloud,
  startPipelineCloud,
  WEB_BASE_URL,
} from '../../annotator/test/support/pipeline-cloud.ts';

let t: PipelineCloud;

beforeAll(async () => {
  t = await startPipelineCloud();
  await t.startNotifier();
}, 120_000);

afterAll(async () => {
  await t?.dispose();
});

async function jobRecord(options: { fileName: string; email: string; emailNotifications?: boolean }) {
  const { jobId, request } = await t.submitJob({
    body: '##fileformat=VCFv4.2\n',
    publishTimes: 0,
    ...options,
  });
  return { jobId, request };
}

function completed(request: {
  job_id: string;
  user_id: string;
  user_email: string;
  input_file_name: string;
  submitted_at: string;
}): JobCompleted {
  const folder = `results/${request.user_id}/${request.job_id}/`;
  return {
    schema_version: 1,
    type: 'JobCompleted',
    status: 'COMPLETED',
    job_id: request.job_id,
    user_id: request.user_id,
    user_email: request.user_email,
    user_tier: 'free',
    input_file_name: request.input_file_name,
    submitted_at: request.submitted_at,
    completed_at: new Date().toISOString(),
    results_bucket: t.provisioned.buckets.results,
    log_key: `${folder}in.log`,
    counts: { variants_read: 1234, variants_annotated: 1200, records_skipped: 34, consequences: 5678 },
    result_keys: {
      annotated_vcf_key: `${folder}in.annot.vcf.gz`,
      tsv_key: `${folder}in.annot.tsv`,
      json_key: `${folder}in.annot.json`,
      summary_key: `${folder}summary.json`,
    },
  };
}

async function publish(topic: 'jobCompleted' | 'archiveRestored', message: unknown): Promise<void> {
  await t.clients.sns.send(
    new PublishCommand({ TopicArn: t.provisioned.topicArns[topic], Message: JSON.stringify(message) }),
  );
}

async function drained(): Promise<void> {
  await eventually(
    async () =>
      (await t.queueDepth('notifierJobCompleted')) === 0 &&
      (await t.queueDepth('notifierArchiveRestored')) === 0,
    'the notifier queues to drain',
  );
}

describe('job e-mails', { timeout: 200_000 }, () => {
  it('the same JobCompleted delivered several times at once: one e-mail, with counts and the job link', async () => {
    const { jobId, request } = await jobRecord({ fileName: 'sample<1>.vcf', email: 'gina@example.org' });
    const message = completed(request);
    await Promise.all([
      publish('jobCompleted', message),
      publish('jobCompleted', message),
      publish('jobCompleted', message),
    ]);
    await eventually(async () => (await t.mailbox('gina@example.org')).length > 0, 'the e-mail');
    await drained();
    const mails = await t.mailbox('gina@example.org');
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.subject).toBe('Your GAS job sample<1>.vcf is done');
    expect(mail.text).toMatch(/Variants read:\s+1,234/);
    expect(mail.text).toMatch(/Records skipped:\s+34 \(listed with line numbers in the job log\)/);
    expect(mail.text).toContain(`${WEB_BASE_URL}/annotations/${jobId}`);
    // The HTML part escapes what the user named the file.
    expect(mail.html).toContain('sample&lt;1&gt;.vcf');
    expect(mail.html).not.toContain('sample<1>');
    expect(mail.html).toContain(`href="${WEB_BASE_URL}/annotations/${jobId}"`);
    const record = await t.job(jobId);
    expect(record?.notified_at).toBeDefined();
    expect(record?.notification_message_id).toBeDefined();
    expect(record?.notify_lease_owner).toBeUndefined();
  });

  it('a FAILED job: the e-mail says what went wrong', async () => {
    const { jobId, request } = await jobRecord({ fileName: 'broken.vcf', email: 'hank@example.org' });
    const {
      counts: _counts,
      result_keys: _keys,
      ...rest
    } = completed(request) as Extract<JobCompleted, { status: 'COMPLETED' }>;
    await publish('jobCompleted', {
      ...rest,
      status: 'FAILED',
      error_message: 'The input file could not be annotated: line 7: POS "12a" is not a whole number.',
    });
    const mails = await eventually(async () => {
      const found = await t.mailbox('hank@example.org');
      return found.length > 0 ? found : undefined;
    }, 'the e-mail');
    expect(mails[0]!.subject).toBe('Your GAS job broken.vcf failed');
    expect(mails[0]!.text).toContain('line 7: POS "12a" is not a whole number.');
    expect(mails[0]!.html).toContain('line 7: POS &quot;12a&quot; is not a whole number.');
    expect(mails[0]!.text).toContain(`${WEB_BASE_URL}/annotations/${jobId}`);
  });

  it('a user who turned e-mails off gets none; the message is still consumed', async () => {
    const { request } = await jobRecord({
      fileName: 'quiet.vcf',
      email: 'ivy@example.org',
      emailNotifications: false,
    });
    await publish('jobCompleted', completed(request));
    await drained();
    expect(await t.mailbox('ivy@example.org')).toEqual([]);
  });
});

describe('results available again', { timeout: 200_000 }, () => {
  it('ArchiveRestored: one e-mail per restore, none for a redelivery', async () => {
    const { jobId, request } = await jobRecord({ fileName: 'cold.vcf', email: 'kim@example.org' });
    const restored: ArchiveRestored = {
      schema_version: 1,
      type: 'ArchiveRestored',
      job_id: jobId,
      user_id: request.user_id,
      user_email: request.user_email,
      results_bucket: t.provisioned.buckets.results,
      annotated_vcf_key: `results/${request.user_id}/${jobId}/cold.annot.vcf.gz`,
      restored_at: new Date().toISOString(),
    };
    await publish('archiveRestored', restored);
    await publish('archiveRestored', restored);
    await eventually(async () => (await t.mailbox('kim@example.org')).length > 0, 'the e-mail');
    await drained();
    const mails = await t.mailbox('kim@example.org');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Your GAS results for cold.vcf are available again');
    expect(mails[0]!.text).toContain(`${WEB_BASE_URL}/annotations/${jobId}`);
  });
});

describe('SES refuses', () => {
  it('sender not verified: nothing is marked sent, the reason is kept, the retry sends once the sender is verified', async () => {
    // A cloud of its own, where the only notifier sends from an address SES has not verified.
    const own = await startPipelineCloud();
    try {
      await own.startNotifier({ MAIL_FROM: 'alerts@example.net' });
      const { jobId, request } = await own.submitJob({
        body: '##fileformat=VCFv4.2\n',
        publishTimes: 0,
        fileName: 'retry.vcf',
        email: 'jack@example.org',
      });
      await own.clients.sns.send(
        new PublishCommand({
          TopicArn: own.provisioned.topicArns.jobCompleted,
          Message: JSON.stringify(completed(request)),
        }),
      );
      const refused = await eventually(async () => {
        const record = await own.job(jobId);
        return record?.notify_error ? record : undefined;
      }, 'the refused first attempt');
      expect(refused.notify_error).toMatch(/^MessageRejected: Email address is not verified/);
      expect(refused.notified_at).toBeUndefined();
      expect(refused.notify_lease_owner).toBeUndefined();
      expect(await own.mailbox('jack@example.org')).toEqual([]);

      await own.clients.sesv2.send(new CreateEmailIdentityCommand({ EmailIdentity: 'alerts@example.net' }));
      const sent = await eventually(
        async () => {
          const record = await own.job(jobId);
          return record?.notified_at ? record : undefined;
        },
        'the retry to send the e-mail',
        90_000,
      );
      expect(sent.notify_error).toBeUndefined();
      const mails = await own.mailbox('jack@example.org');
      expect(mails).toHaveLength(1);
      expect(mails[0]!.from).toContain('alerts@example.net');
    } finally {
      await own.dispose();
    }
  }, 300_000);
});
