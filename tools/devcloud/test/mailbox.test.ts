import { SESClient, SendEmailCommand, VerifyEmailIdentityCommand } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig, startTestCloud, type TestCloud } from './helpers.ts';

// The mailbox pages and JSON API, unsigned, on the real devcloud edge.
let testCloud: TestCloud;
let server: { url: string };
let messageId: string;

beforeAll(async () => {
  testCloud = await startTestCloud();
  server = { url: testCloud.cloud.url };
  const ses = new SESClient(clientConfig(testCloud.cloud, testCloud.credentials));
  await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: 'noreply@gas.example' }));
  const sent = await ses.send(
    new SendEmailCommand({
      Source: 'noreply@gas.example',
      Destination: { ToAddresses: ['alice@example.org'] },
      Message: {
        Subject: { Data: 'Job <done> & ready' },
        Body: {
          Text: { Data: 'Open https://localhost:4433/annotations/j1 now' },
          Html: {
            Data: '<p><a href="https://localhost:4433/annotations/j1">Open</a></p><script>alert(document.cookie)</script>',
          },
        },
      },
    }),
  );
  messageId = sent.MessageId!;
});

afterAll(async () => {
  await testCloud.dispose();
});

describe('mailbox pages', () => {
  it('lists messages with recipient, subject (escaped) and a link to each', async () => {
    const response = await fetch(`${server.url}/_devcloud/mailbox`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const page = await response.text();
    expect(page).toContain('alice@example.org');
    expect(page).toContain('Job &#60;done&#62; &#38; ready');
    expect(page).toContain(`href="/_devcloud/mailbox/messages/${messageId}"`);
  });

  it('shows a message with its text part linked and its HTML part in a script-free sandbox', async () => {
    const response = await fetch(`${server.url}/_devcloud/mailbox/messages/${messageId}`);
    const page = await response.text();
    expect(page).toContain(
      '<a href="https://localhost:4433/annotations/j1">https://localhost:4433/annotations/j1</a>',
    );
    // The HTML part's link is clickable inside the iframe, whose sandbox has no allow-scripts...
    const iframe = /<iframe[^>]*sandbox="([^"]*)"[^>]*srcdoc="([^"]*)"/.exec(page);
    expect(iframe).not.toBeNull();
    expect(iframe![1]).not.toContain('allow-scripts');
    expect(iframe![2]).toContain('&#60;a href=&#34;https://localhost:4433/annotations/j1&#34;&#62;Open');
    // ...the e-mail's script never appears as markup of the page itself...
    expect(page).not.toContain('<script>');
    // ...and the page's CSP forbids scripts anyway.
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('answers 404 for an unknown message and for an id that tries to leave the folder', async () => {
    expect((await fetch(`${server.url}/_devcloud/mailbox/messages/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/_devcloud/mailbox/api/messages/..%2F..%2Fidentities`)).status).toBe(
      404,
    );
  });
});

describe('mailbox JSON API', () => {
  it('filters by recipient, returns one message by id, and empties the mailbox on DELETE', async () => {
    const filtered = await fetch(`${server.url}/_devcloud/mailbox/api/messages?to=ALICE@example.org`);
    const list = (await filtered.json()) as { messages: unknown[] };
    expect(list.messages).toHaveLength(1);
    const one = await (await fetch(`${server.url}/_devcloud/mailbox/api/messages/${messageId}`)).json();
    expect(one).toMatchObject({ id: messageId, subject: 'Job <done> & ready', from: 'noreply@gas.example' });

    const deleted = await fetch(`${server.url}/_devcloud/mailbox/api/messages`, { method: 'DELETE' });
    expect(await deleted.json()).toEqual({ deleted: 1 });
    const after = (await (await fetch(`${server.url}/_devcloud/mailbox/api/messages`)).json()) as {
      messages: unknown[];
    };
    expect(after.messages).toEqual([]);
  });

  it('long-polls with wait= until a message for the recipient arrives', async () => {
    const waiting = fetch(`${server.url}/_devcloud/mailbox/api/messages?to=late@example.org&wait=10`);
    const ses = new SESClient(clientConfig(testCloud.cloud, testCloud.credentials));
    await ses.send(
      new SendEmailCommand({
        Source: 'noreply@gas.example',
        Destination: { ToAddresses: ['late@example.org'] },
        Message: { Subject: { Data: 'Arrived later' }, Body: { Text: { Data: 'hello' } } },
      }),
    );
    const { messages } = (await (await waiting).json()) as { messages: { subject: string }[] };
    expect(messages.map((m) => m.subject)).toEqual(['Arrived later']);
    expect((await fetch(`${server.url}/_devcloud/mailbox/api/messages?wait=soon`)).status).toBe(400);
  });

  it('refuses a method it does not serve with 405', async () => {
    const response = await fetch(`${server.url}/_devcloud/mailbox/api/messages`, { method: 'POST' });
    expect(response.status).toBe(405);
  });
});
