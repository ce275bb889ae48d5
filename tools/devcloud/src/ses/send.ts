/**
 * What SendEmail and SendRawEmail (v1 and v2) have in common: check the sender identity and the
 * recipients, turn the message into a mailbox record, store it. Raw MIME is parsed with
 * mailparser, so the mailbox shows what a mail client would (decoded subject, text and HTML parts).
 */
import { type AddressObject, simpleParser } from 'mailparser';
import type { SesDeps } from './deps.ts';
import type { MailboxMessage } from './mailbox.ts';

export interface SendError {
  code: 'MessageRejected' | 'InvalidParameterValue' | 'MissingParameter';
  message: string;
}

/** `"Name" <a@b.c>` -> `a@b.c`; a bare address is returned trimmed. */
export function bareAddress(address: string): string {
  const angle = /<([^<>]+)>\s*$/.exec(address);
  return (angle ? angle[1]! : address).trim();
}

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

async function checkAddresses(
  deps: SesDeps,
  from: string,
  recipients: string[],
  region: string,
): Promise<SendError | null> {
  if (!ADDRESS.test(from)) {
    return {
      code: 'InvalidParameterValue',
      message: `Illegal address: the sender "${from}" is not an e-mail address.`,
    };
  }
  if (recipients.length === 0) {
    return { code: 'InvalidParameterValue', message: 'Missing final @domain: the message has no recipient.' };
  }
  for (const recipient of recipients) {
    if (!ADDRESS.test(recipient)) {
      return {
        code: 'InvalidParameterValue',
        message: `Illegal address: the recipient "${recipient}" is not an e-mail address.`,
      };
    }
  }
  if (!(await deps.identities.canSendFrom(from))) {
    return {
      code: 'MessageRejected',
      message: `Email address is not verified. The following identities failed the check in region ${region.toUpperCase()}: ${from}`,
    };
  }
  return null;
}

export interface SimpleMessage {
  via: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string | null | undefined;
  text: string | null | undefined;
  html: string | null | undefined;
}

export async function sendSimple(deps: SesDeps, message: SimpleMessage): Promise<MailboxMessage | SendError> {
  const from = bareAddress(message.from);
  const to = message.to.map(bareAddress);
  const cc = message.cc.map(bareAddress);
  const bcc = message.bcc.map(bareAddress);
  const problem = await checkAddresses(deps, from, [...to, ...cc, ...bcc], deps.ctx.region);
  if (problem) return problem;
  if (!message.subject) return { code: 'MissingParameter', message: 'Message.Subject is required.' };
  if (!message.text && !message.html) {
    return { code: 'MissingParameter', message: 'Message.Body needs a Text or an Html part.' };
  }
  const stored = await deps.mailbox.add({
    via: message.via,
    from: message.from.trim(),
    to,
    cc,
    bcc,
    replyTo: message.replyTo.map(bareAddress),
    subject: message.subject,
    text: message.text ?? null,
    html: message.html ?? null,
    attachments: [],
  });
  deps.ctx.log.info(
    { messageId: stored.id, to, subject: stored.subject },
    'ses: message captured in the mailbox',
  );
  return stored;
}

export interface RawMessage {
  via: string;
  raw: Buffer;
  /** `Source` / `FromEmailAddress`, which overrides the From header for the identity check. */
  source: string | null | undefined;
  /** `Destinations`; when empty the To, Cc and Bcc headers are the recipients. */
  destinations: string[];
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  if (!field) return [];
  const objects = Array.isArray(field) ? field : [field];
  return objects.flatMap((object) => object.value.flatMap((entry) => (entry.address ? [entry.address] : [])));
}

export async function sendRaw(deps: SesDeps, message: RawMessage): Promise<MailboxMessage | SendError> {
  if (message.raw.length === 0)
    return { code: 'InvalidParameterValue', message: 'The raw message is empty.' };
  const parsed = await simpleParser(message.raw);
  const headerFrom = parsed.from?.value[0]?.address;
  const sender = message.source ? bareAddress(message.source) : headerFrom;
  if (!sender) {
    return {
      code: 'InvalidParameterValue',
      message: 'The raw message has no From header and no Source was given.',
    };
  }
  const to = addresses(parsed.to);
  const cc = addresses(parsed.cc);
  const bcc = addresses(parsed.bcc);
  const destinations = message.destinations.map(bareAddress);
  const recipients = destinations.length > 0 ? destinations : [...to, ...cc, ...bcc];
  const problem = await checkAddresses(deps, sender, recipients, deps.ctx.region);
  if (problem) return problem;
  const stored = await deps.mailbox.add(
    {
      via: message.via,
      from: parsed.from?.text ?? sender,
      to: destinations.length > 0 ? destinations.filter((d) => !cc.includes(d) && !bcc.includes(d)) : to,
      cc,
      bcc,
      replyTo: addresses(parsed.replyTo),
      subject: parsed.subject ?? '',
      text: parsed.text ?? null,
      html: typeof parsed.html === 'string' ? parsed.html : null,
      attachments: parsed.attachments.map((a) => ({
        filename: a.filename ?? null,
        contentType: a.contentType,
        size: a.size,
      })),
    },
    message.raw,
  );
  deps.ctx.log.info(
    { messageId: stored.id, to: recipients, subject: stored.subject },
    'ses: raw message captured',
  );
  return stored;
}
