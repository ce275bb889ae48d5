/**
 * SES stand-in: the v1 query API (form-encoded POST, XML answers) and the v2 REST JSON API, as
 * @aws-sdk/client-ses and @aws-sdk/client-sesv2 send them (both sign with the service name
 * `ses`). Every accepted message goes into the mailbox; the same service answers the
 * unsigned mailbox page and JSON API under `/_devcloud/mailbox` (see mailbox-http.ts).
 *
 * Senders must be verified identities (identities.ts explains the choice). Actions outside the
 * list below are answered with SES's `InvalidAction` (v1) or a 404 `NotFoundException` (v2),
 * never silently accepted.
 */
import { join } from 'node:path';
import type { DevcloudContext, EdgeRequest, EdgeResponse, EmulatedService } from '../edge/types.ts';
import { SEND_QUOTA, type SesDeps } from './deps.ts';
import { IdentityStore } from './identities.ts';
import { Mailbox } from './mailbox.ts';
import { handleMailboxHttp, MAILBOX_PATH_PREFIX } from './mailbox-http.ts';
import { bareAddress, type SendError, sendRaw, sendSimple } from './send.ts';
import { handleSesV2 } from './v2.ts';

export type { MailboxMessage } from './mailbox.ts';
export { MAILBOX_PATH_PREFIX } from './mailbox-http.ts';

const SES_XMLNS = 'http://ses.amazonaws.com/doc/2010-12-01/';

export function createSesService(ctx: DevcloudContext): EmulatedService {
  // State in `<dataDir>/ses/`: `mailbox/` (one JSON + optional .eml per message), `identities.json`.
  const mailbox = new Mailbox(join(ctx.dataDir, 'ses', 'mailbox'));
  const identities = new IdentityStore(join(ctx.dataDir, 'ses'));
  const deps = { ctx, mailbox, identities };

  return {
    signingNames: ['ses'],
    async handle(req: EdgeRequest): Promise<EdgeResponse> {
      try {
        return await route(req);
      } catch (error) {
        // A malformed %-escape in the path is the caller's mistake, not ours.
        if (error instanceof URIError) {
          return xmlError(400, 'Sender', 'InvalidParameterValue', `Malformed percent-encoding in ${req.url}`);
        }
        throw error;
      }
    },
  };

  async function route(req: EdgeRequest): Promise<EdgeResponse> {
    const path = req.url.split('?')[0] ?? '/';
    if (path === MAILBOX_PATH_PREFIX || path.startsWith(`${MAILBOX_PATH_PREFIX}/`)) {
      return handleMailboxHttp(req, mailbox);
    }
    if (req.accessKeyId === null) {
      return xmlError(403, 'Sender', 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    }
    if (path.startsWith('/v2/')) return handleSesV2(req, deps);
    return handleSesV1(req, deps);
  }
}

async function handleSesV1(req: EdgeRequest, deps: SesDeps): Promise<EdgeResponse> {
  if (req.method !== 'POST') {
    return xmlError(400, 'Sender', 'InvalidAction', 'SES query requests are POSTs with a form-encoded body.');
  }
  const params = new URLSearchParams(req.body.toString('utf8'));
  const action = params.get('Action');
  const requestId = crypto.randomUUID();
  const members = (prefix: string): string[] => {
    const values: string[] = [];
    for (let i = 1; params.has(`${prefix}.member.${i}`); i++)
      values.push(params.get(`${prefix}.member.${i}`)!);
    return values;
  };
  const ok = (body: string): EdgeResponse => ({
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<${action}Response xmlns="${SES_XMLNS}">${body ? `<${action}Result>${body}</${action}Result>` : `<${action}Result/>`}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  });
  const sendFailed = (error: SendError) => xmlError(400, 'Sender', error.code, error.message, requestId);

  switch (action) {
    case 'SendEmail': {
      const source = params.get('Source');
      if (!source) return xmlError(400, 'Sender', 'MissingParameter', 'Source is required.', requestId);
      const result = await sendSimple(deps, {
        via: 'ses:SendEmail',
        from: source,
        to: members('Destination.ToAddresses'),
        cc: members('Destination.CcAddresses'),
        bcc: members('Destination.BccAddresses'),
        replyTo: members('ReplyToAddresses'),
        subject: params.get('Message.Subject.Data'),
        text: params.get('Message.Body.Text.Data'),
        html: params.get('Message.Body.Html.Data'),
      });
      if ('code' in result) return sendFailed(result);
      return ok(`<MessageId>${result.id}</MessageId>`);
    }
    case 'SendRawEmail': {
      const data = params.get('RawMessage.Data');
      if (!data)
        return xmlError(400, 'Sender', 'MissingParameter', 'RawMessage.Data is required.', requestId);
      const result = await sendRaw(deps, {
        via: 'ses:SendRawEmail',
        raw: Buffer.from(data, 'base64'),
        source: params.get('Source'),
        destinations: members('Destinations'),
      });
      if ('code' in result) return sendFailed(result);
      return ok(`<MessageId>${result.id}</MessageId>`);
    }
    case 'VerifyEmailIdentity':
    case 'VerifyEmailAddress': {
      const address = params.get('EmailAddress');
      if (!address || !bareAddress(address).includes('@')) {
        return xmlError(
          400,
          'Sender',
          'InvalidParameterValue',
          'EmailAddress must be an e-mail address.',
          requestId,
        );
      }
      await deps.identities.add(bareAddress(address));
      return ok('');
    }
    case 'VerifyDomainIdentity': {
      const domain = params.get('Domain');
      if (!domain || domain.includes('@')) {
        return xmlError(400, 'Sender', 'InvalidParameterValue', 'Domain must be a domain name.', requestId);
      }
      await deps.identities.add(domain);
      return ok(`<VerificationToken>${Buffer.from(domain).toString('base64url')}</VerificationToken>`);
    }
    case 'DeleteIdentity': {
      const identity = params.get('Identity');
      if (!identity) return xmlError(400, 'Sender', 'MissingParameter', 'Identity is required.', requestId);
      await deps.identities.remove(identity);
      return ok('');
    }
    case 'ListIdentities': {
      const type = params.get('IdentityType');
      if (type && type !== 'EmailAddress' && type !== 'Domain') {
        return xmlError(
          400,
          'Sender',
          'InvalidParameterValue',
          'IdentityType must be EmailAddress or Domain.',
          requestId,
        );
      }
      const list = await deps.identities.list((type as 'EmailAddress' | 'Domain' | null) ?? undefined);
      return ok(
        `<Identities>${list.map((i) => `<member>${escapeXml(i.identity)}</member>`).join('')}</Identities>`,
      );
    }
    case 'GetIdentityVerificationAttributes': {
      const entries: string[] = [];
      for (const identity of members('Identities')) {
        const known = await deps.identities.get(identity);
        if (known) {
          entries.push(
            `<entry><key>${escapeXml(identity)}</key><value><VerificationStatus>Success</VerificationStatus></value></entry>`,
          );
        }
      }
      return ok(`<VerificationAttributes>${entries.join('')}</VerificationAttributes>`);
    }
    case 'GetSendQuota': {
      const sent = await deps.mailbox.sentLast24Hours();
      return ok(
        `<Max24HourSend>${SEND_QUOTA.max24HourSend.toFixed(1)}</Max24HourSend><MaxSendRate>${SEND_QUOTA.maxSendRate.toFixed(1)}</MaxSendRate><SentLast24Hours>${sent.toFixed(1)}</SentLast24Hours>`,
      );
    }
    default:
      return xmlError(
        400,
        'Sender',
        'InvalidAction',
        `The action ${action ?? '(none)'} is not valid for this web service (devcloud SES answers SendEmail, SendRawEmail, VerifyEmailIdentity, VerifyDomainIdentity, DeleteIdentity, ListIdentities, GetIdentityVerificationAttributes, GetSendQuota).`,
        requestId,
      );
  }
}

function xmlError(
  status: number,
  type: 'Sender' | 'Receiver',
  code: string,
  message: string,
  requestId: string = crypto.randomUUID(),
): EdgeResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<ErrorResponse xmlns="${SES_XMLNS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
