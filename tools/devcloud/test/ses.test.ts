import {
  GetSendQuotaCommand,
  ListIdentitiesCommand,
  SESClient,
  SendEmailCommand,
  SendRawEmailCommand,
  VerifyEmailIdentityCommand,
} from '@aws-sdk/client-ses';
import {
  CreateEmailIdentityCommand,
  GetAccountCommand,
  SESv2Client,
  SendEmailCommand as SendEmailV2Command,
} from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxMessage } from '../src/ses/mailbox.ts';
import { clientConfig, startTestCloud, type TestCloud } from './helpers.ts';

// SES behind the real devcloud edge (SigV4 verified), through the real SDK clients.
let testCloud: TestCloud;
let ses: SESClient;
let sesv2: SESv2Client;

async function inbox(to: string): Promise<MailboxMessage[]> {
  const response = await fetch(`${testCloud.cloud.mailboxUrl}/api/messages?to=${encodeURIComponent(to)}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { messages: MailboxMessage[] }).messages;
}

beforeAll(async () => {
  testCloud = await startTestCloud();
  ses = new SESClient(clientConfig(testCloud.cloud, testCloud.credentials));
  sesv2 = new SESv2Client(clientConfig(testCloud.cloud, testCloud.credentials));
});

afterAll(async () => {
  await testCloud.dispose();
});

describe('SES v1 (query protocol) through @aws-sdk/client-ses', () => {
  it('refuses a client whose secret key is wrong (signature checked by the edge)', async () => {
    const intruder = new SESClient({
      ...clientConfig(testCloud.cloud, testCloud.credentials),
      credentials: { accessKeyId: testCloud.credentials.accessKeyId, secretAccessKey: 'wrong-secret' },
    });
    await expect(intruder.send(new ListIdentitiesCommand({}))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('refuses a sender that is not a verified identity, like the SES sandbox', async () => {
    const send = ses.send(
      new SendEmailCommand({
        Source: 'nobody@unverified.example',
        Destination: { ToAddresses: ['user@example.org'] },
        Message: { Subject: { Data: 'hi' }, Body: { Text: { Data: 'hello' } } },
      }),
    );
    await expect(send).rejects.toMatchObject({
      name: 'MessageRejected',
      message: expect.stringContaining('nobody@unverified.example'),
    });
    expect(await inbox('user@example.org')).toEqual([]);
  });

  it('verifies an identity, lists it, and delivers SendEmail to the mailbox', async () => {
    await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: 'noreply@gas.example' }));
    const identities = await ses.send(new ListIdentitiesCommand({}));
    expect(identities.Identities).toContain('noreply@gas.example');

    const sent = await ses.send(
      new SendEmailCommand({
        Source: 'GAS <noreply@gas.example>',
        Destination: { ToAddresses: ['alice@example.org'], CcAddresses: ['carol@example.org'] },
        Message: {
          Subject: { Data: 'Your annotation job is done' },
          Body: {
            Text: { Data: 'See https://localhost:4433/annotations/job-1' },
            Html: { Data: '<p>See <a href="https://localhost:4433/annotations/job-1">your job</a></p>' },
          },
        },
      }),
    );
    expect(sent.MessageId).toMatch(/^0100[0-9a-f]+-[0-9a-f-]{36}-000000$/);

    const [message] = await inbox('alice@example.org');
    expect(message).toMatchObject({
      id: sent.MessageId,
      from: 'GAS <noreply@gas.example>',
      to: ['alice@example.org'],
      cc: ['carol@example.org'],
      subject: 'Your annotation job is done',
      text: 'See https://localhost:4433/annotations/job-1',
    });
    expect(message!.html).toContain('href="https://localhost:4433/annotations/job-1"');
    // The Cc recipient finds it too; someone else does not.
    expect((await inbox('carol@example.org')).map((m) => m.id)).toContain(sent.MessageId);
    expect(await inbox('mallory@example.org')).toEqual([]);
  });

  it('parses SendRawEmail MIME (encoded subject, both parts, attachment)', async () => {
    const raw = [
      'From: GAS <noreply@gas.example>',
      'To: bob@example.org',
      'Subject: =?UTF-8?B?UsOpc3VsdGF0cyBwcsOqdHM=?=',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      '--outer',
      'Content-Type: multipart/alternative; boundary="inner"',
      '',
      '--inner',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Plain body https://example.org/x',
      '--inner',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>HTML <b>body</b></p>',
      '--inner--',
      '--outer',
      'Content-Type: text/plain; name="log.txt"',
      'Content-Disposition: attachment; filename="log.txt"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('line one\n').toString('base64'),
      '--outer--',
      '',
    ].join('\r\n');
    const sent = await ses.send(new SendRawEmailCommand({ RawMessage: { Data: Buffer.from(raw) } }));
    const response = await fetch(`${testCloud.cloud.mailboxUrl}/api/messages/${sent.MessageId}`);
    const message = (await response.json()) as MailboxMessage;
    expect(message).toMatchObject({
      to: ['bob@example.org'],
      subject: 'Résultats prêts',
      text: 'Plain body https://example.org/x',
      html: '<p>HTML <b>body</b></p>',
      attachments: [{ filename: 'log.txt', contentType: 'text/plain', size: 9 }],
      hasRaw: true,
    });
    const rawBack = await fetch(`${testCloud.cloud.mailboxUrl}/api/messages/${sent.MessageId}/raw`);
    expect(await rawBack.text()).toBe(raw);
  });

  it('reports the send quota with what was sent', async () => {
    const quota = await ses.send(new GetSendQuotaCommand({}));
    expect(quota).toMatchObject({ Max24HourSend: 200, MaxSendRate: 1 });
    expect(quota.SentLast24Hours).toBeGreaterThanOrEqual(2);
  });
});

describe('SES v2 (REST JSON) through @aws-sdk/client-sesv2', () => {
  it('refuses an unverified sender, then sends Simple content once the identity exists', async () => {
    const message = {
      FromEmailAddress: 'notify@v2.example',
      Destination: { ToAddresses: ['dave@example.org'] },
      Content: { Simple: { Subject: { Data: 'v2 subject' }, Body: { Text: { Data: 'v2 text' } } } },
    };
    await expect(sesv2.send(new SendEmailV2Command(message))).rejects.toMatchObject({
      name: 'MessageRejected',
    });

    await sesv2.send(new CreateEmailIdentityCommand({ EmailIdentity: 'v2.example' }));
    await expect(
      sesv2.send(new CreateEmailIdentityCommand({ EmailIdentity: 'v2.example' })),
    ).rejects.toMatchObject({
      name: 'AlreadyExistsException',
    });
    const sent = await sesv2.send(new SendEmailV2Command(message));
    const [received] = await inbox('dave@example.org');
    expect(received).toMatchObject({
      id: sent.MessageId,
      subject: 'v2 subject',
      text: 'v2 text',
      html: null,
    });
  });

  it('sends Raw content', async () => {
    const raw = 'From: notify@v2.example\r\nTo: erin@example.org\r\nSubject: raw v2\r\n\r\nraw body\r\n';
    const sent = await sesv2.send(new SendEmailV2Command({ Content: { Raw: { Data: Buffer.from(raw) } } }));
    const [received] = await inbox('erin@example.org');
    expect(received).toMatchObject({ id: sent.MessageId, subject: 'raw v2', text: 'raw body\n' });
  });

  it('answers GetAccount with the quota', async () => {
    const account = await sesv2.send(new GetAccountCommand({}));
    expect(account.SendingEnabled).toBe(true);
    expect(account.SendQuota).toMatchObject({ Max24HourSend: 200, MaxSendRate: 1 });
  });

  it('refuses a template send with a sentence, not a silent skip', async () => {
    const send = sesv2.send(
      new SendEmailV2Command({
        FromEmailAddress: 'notify@v2.example',
        Destination: { ToAddresses: ['dave@example.org'] },
        Content: { Template: { TemplateName: 't' } },
      }),
    );
    await expect(send).rejects.toMatchObject({
      name: 'BadRequestException',
      message: expect.stringContaining('Template'),
    });
  });
});

describe('the mailbox keeps messages across a restart', () => {
  it('a restarted devcloud on the same data folder lists what the old one received', async () => {
    const cloud = await testCloud.restart();
    const response = await fetch(`${cloud.mailboxUrl}/api/messages?to=alice@example.org`);
    const { messages } = (await response.json()) as { messages: MailboxMessage[] };
    expect(messages.map((m) => m.subject)).toEqual(['Your annotation job is done']);
  });
});
