/**
 * The devcloud mailbox: every e-mail the SES stand-in accepts is kept here, one JSON file per
 * message (plus the raw MIME for SendRawEmail / v2 Raw content) in the SES data folder, so a
 * test or a developer can read exactly what a user would have received, across restarts.
 *
 * Message ids are the SES MessageId returned to the sender, so a test can go from the
 * SendEmail response straight to `GET /_devcloud/mailbox/api/messages/<MessageId>`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MailboxMessage {
  /** The SES MessageId returned by SendEmail / SendRawEmail. */
  id: string;
  /** ISO 8601 time the stand-in accepted the message. */
  receivedAt: string;
  /** Which API and action delivered it, e.g. `ses:SendEmail`, `sesv2:SendEmail(Raw)`. */
  via: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  /** Plain-text part, or null when the message has none. */
  text: string | null;
  /** HTML part, or null when the message has none. */
  html: string | null;
  /** Attachment names and sizes (raw MIME only); the bytes stay in the .eml file. */
  attachments: { filename: string | null; contentType: string; size: number }[];
  /** True when the raw MIME is kept beside the record (`GET .../api/messages/:id/raw`). */
  hasRaw: boolean;
}

export type NewMailboxMessage = Omit<MailboxMessage, 'id' | 'receivedAt' | 'hasRaw'>;

/** An id shaped like the ones SES returns (`0100018f...-<uuid>-000000`). */
function newSesMessageId(): string {
  const time = Date.now().toString(16).padStart(12, '0');
  return `0100${time}${randomBytes(2).toString('hex')}-${randomUUID()}-000000`;
}

export class Mailbox {
  readonly #dir: string;
  #ready: Promise<void> | null = null;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #ensureDir(): Promise<void> {
    this.#ready ??= mkdir(this.#dir, { recursive: true }).then(() => undefined);
    return this.#ready;
  }

  async add(message: NewMailboxMessage, raw?: Buffer): Promise<MailboxMessage> {
    await this.#ensureDir();
    const stored: MailboxMessage = {
      id: newSesMessageId(),
      receivedAt: new Date().toISOString(),
      ...message,
      hasRaw: raw !== undefined,
    };
    if (raw) await writeAtomically(join(this.#dir, `${stored.id}.eml`), raw);
    await writeAtomically(join(this.#dir, `${stored.id}.json`), JSON.stringify(stored, null, 2));
    return stored;
  }

  /** Newest first; `to` matches any recipient (To, Cc or Bcc), case-insensitively. */
  async list(filter: { to?: string } = {}): Promise<MailboxMessage[]> {
    await this.#ensureDir();
    const names = (await readdir(this.#dir)).filter((name) => name.endsWith('.json'));
    const messages: MailboxMessage[] = [];
    for (const name of names) {
      messages.push(JSON.parse(await readFile(join(this.#dir, name), 'utf8')) as MailboxMessage);
    }
    const wanted = filter.to?.trim().toLowerCase();
    return messages
      .filter(
        (m) => !wanted || [...m.to, ...m.cc, ...m.bcc].some((address) => address.toLowerCase() === wanted),
      )
      .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt) || b.id.localeCompare(a.id));
  }

  async get(id: string): Promise<MailboxMessage | null> {
    if (!isSafeId(id)) return null;
    try {
      return JSON.parse(await readFile(join(this.#dir, `${id}.json`), 'utf8')) as MailboxMessage;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async raw(id: string): Promise<Buffer | null> {
    if (!isSafeId(id)) return null;
    try {
      return await readFile(join(this.#dir, `${id}.eml`));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** Removes every message; returns how many there were. */
  async clear(): Promise<number> {
    await this.#ensureDir();
    const names = await readdir(this.#dir);
    await Promise.all(names.map((name) => rm(join(this.#dir, name), { force: true })));
    return names.filter((name) => name.endsWith('.json')).length;
  }

  /** Messages accepted in the last 24 hours (for GetSendQuota / GetAccount). */
  async sentLast24Hours(): Promise<number> {
    const since = new Date(Date.now() - 24 * 3600_000).toISOString();
    return (await this.list()).filter((m) => m.receivedAt >= since).length;
  }
}

/** Ids come from URLs: only the characters our ids use, so a path can never escape the folder. */
function isSafeId(id: string): boolean {
  return /^[0-9a-zA-Z-]{1,100}$/.test(id);
}

async function writeAtomically(path: string, data: string | Buffer): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}
