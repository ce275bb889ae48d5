/**
 * SES v2 (REST JSON, `/v2/email/...`): SendEmail with Simple or Raw content, the e-mail identity
 * calls and a minimal GetAccount. Errors use the REST JSON shape the SDK reads: the code in the
 * `x-amzn-errortype` header and `{ "message": ... }` in the body.
 */
import type { EdgeRequest, EdgeResponse } from '../edge/types.ts';
import { SEND_QUOTA, type SesDeps } from './deps.ts';
import { bareAddress, type SendError, sendRaw, sendSimple } from './send.ts';

function json(status: number, body: unknown): EdgeResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': crypto.randomUUID() },
    body: JSON.stringify(body),
  };
}

function error(status: number, code: string, message: string): EdgeResponse {
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': code,
      'x-amzn-requestid': crypto.randomUUID(),
    },
    body: JSON.stringify({ message }),
  };
}

function fromSendError(problem: SendError): EdgeResponse {
  return problem.code === 'MessageRejected'
    ? error(400, 'MessageRejected', problem.message)
    : error(400, 'BadRequestException', problem.message);
}

interface SesV2Content {
  Simple?: {
    Subject?: { Data?: string };
    Body?: { Text?: { Data?: string }; Html?: { Data?: string } };
  };
  Raw?: { Data?: string };
  Template?: unknown;
}

interface SesV2SendEmail {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  ReplyToAddresses?: string[];
  Content?: SesV2Content;
}

function parseBody<T>(req: EdgeRequest): T | null {
  if (req.body.length === 0) return {} as T;
  try {
    const value: unknown = JSON.parse(req.body.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as T) : null;
  } catch {
    return null;
  }
}

export async function handleSesV2(req: EdgeRequest, deps: SesDeps): Promise<EdgeResponse> {
  const path = decodeURIComponent(req.url.split('?')[0]!);
  const route = `${req.method} ${path}`;

  if (route === 'POST /v2/email/outbound-emails') {
    const input = parseBody<SesV2SendEmail>(req);
    if (!input) return error(400, 'BadRequestException', 'The request body is not a JSON object.');
    const content = input.Content;
    if (!content) return error(400, 'BadRequestException', 'Content is required.');
    if (content.Template) {
      return error(
        400,
        'BadRequestException',
        'Template content is not supported by devcloud SES; send Simple or Raw content.',
      );
    }
    if (content.Raw) {
      if (!content.Raw.Data) return error(400, 'BadRequestException', 'Content.Raw.Data is required.');
      const result = await sendRaw(deps, {
        via: 'sesv2:SendEmail(Raw)',
        raw: Buffer.from(content.Raw.Data, 'base64'),
        source: input.FromEmailAddress,
        destinations: [
          ...(input.Destination?.ToAddresses ?? []),
          ...(input.Destination?.CcAddresses ?? []),
          ...(input.Destination?.BccAddresses ?? []),
        ],
      });
      return 'code' in result ? fromSendError(result) : json(200, { MessageId: result.id });
    }
    if (content.Simple) {
      if (!input.FromEmailAddress) return error(400, 'BadRequestException', 'FromEmailAddress is required.');
      const result = await sendSimple(deps, {
        via: 'sesv2:SendEmail(Simple)',
        from: input.FromEmailAddress,
        to: input.Destination?.ToAddresses ?? [],
        cc: input.Destination?.CcAddresses ?? [],
        bcc: input.Destination?.BccAddresses ?? [],
        replyTo: input.ReplyToAddresses ?? [],
        subject: content.Simple.Subject?.Data,
        text: content.Simple.Body?.Text?.Data,
        html: content.Simple.Body?.Html?.Data,
      });
      return 'code' in result ? fromSendError(result) : json(200, { MessageId: result.id });
    }
    return error(400, 'BadRequestException', 'Content needs Simple or Raw.');
  }

  if (route === 'POST /v2/email/identities') {
    const input = parseBody<{ EmailIdentity?: string }>(req);
    const identity = input?.EmailIdentity?.trim();
    if (!identity) return error(400, 'BadRequestException', 'EmailIdentity is required.');
    if (await deps.identities.get(bareAddress(identity))) {
      return error(400, 'AlreadyExistsException', `Email identity ${identity} already exist.`);
    }
    const created = await deps.identities.add(bareAddress(identity));
    return json(200, {
      IdentityType: created.type === 'Domain' ? 'DOMAIN' : 'EMAIL_ADDRESS',
      VerifiedForSendingStatus: true,
      DkimAttributes: { SigningEnabled: false, Status: 'NOT_STARTED', Tokens: [] },
    });
  }

  if (route === 'GET /v2/email/identities') {
    const list = await deps.identities.list();
    return json(200, {
      EmailIdentities: list.map((entry) => ({
        IdentityType: entry.type === 'Domain' ? 'DOMAIN' : 'EMAIL_ADDRESS',
        IdentityName: entry.identity,
        SendingEnabled: true,
        VerificationStatus: 'SUCCESS',
      })),
    });
  }

  const identityPath = /^\/v2\/email\/identities\/([^/]+)$/.exec(path);
  if (identityPath) {
    const name = identityPath[1]!;
    const known = await deps.identities.get(name);
    if (!known) return error(404, 'NotFoundException', `Email identity ${name} does not exist.`);
    if (req.method === 'GET') {
      return json(200, {
        IdentityType: known.type === 'Domain' ? 'DOMAIN' : 'EMAIL_ADDRESS',
        VerifiedForSendingStatus: true,
        VerificationStatus: 'SUCCESS',
        FeedbackForwardingStatus: true,
        DkimAttributes: { SigningEnabled: false, Status: 'NOT_STARTED', Tokens: [] },
      });
    }
    if (req.method === 'DELETE') {
      await deps.identities.remove(name);
      return json(200, {});
    }
  }

  if (route === 'GET /v2/email/account') {
    const sent = await deps.mailbox.sentLast24Hours();
    return json(200, {
      DedicatedIpAutoWarmupEnabled: false,
      EnforcementStatus: 'HEALTHY',
      ProductionAccessEnabled: false,
      SendingEnabled: true,
      SendQuota: {
        Max24HourSend: SEND_QUOTA.max24HourSend,
        MaxSendRate: SEND_QUOTA.maxSendRate,
        SentLast24Hours: sent,
      },
    });
  }

  return error(404, 'NotFoundException', `devcloud SES v2 does not implement ${req.method} ${path}.`);
}
