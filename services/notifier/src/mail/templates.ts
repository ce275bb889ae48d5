/**
 * E-mail templates: Handlebars files in `services/notifier/templates/`, three per kind
 * (`<kind>.subject.hbs`, `<kind>.text.hbs`, `<kind>.html.hbs`), compiled once at boot so a
 * broken template stops the service at start, not at the first job. HTML templates escape
 * every value (a file name or error message cannot inject markup); text and subject
 * templates do not escape (plain text), and the subject is reduced to one line.
 */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';

export const MAIL_KINDS = ['job-completed', 'job-failed', 'archive-restored'] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

export type RenderedMail = { subject: string; text: string; html: string };

export type MailTemplates = { render(kind: MailKind, data: Record<string, unknown>): RenderedMail };

export const defaultTemplatesDir = new URL('../../templates/', import.meta.url);

export function loadTemplates(dir: URL = defaultTemplatesDir): MailTemplates {
  const hbs = Handlebars.create();
  const compiled = new Map<
    MailKind,
    {
      subject: HandlebarsTemplateDelegate;
      text: HandlebarsTemplateDelegate;
      html: HandlebarsTemplateDelegate;
    }
  >();
  for (const kind of MAIL_KINDS) {
    const read = (part: string) => readFileSync(new URL(`${kind}.${part}.hbs`, dir), 'utf8');
    compiled.set(kind, {
      subject: hbs.compile(read('subject'), { noEscape: true, strict: true }),
      text: hbs.compile(read('text'), { noEscape: true, strict: true }),
      html: hbs.compile(read('html'), { strict: true }),
    });
  }
  return {
    render(kind, data) {
      const templates = compiled.get(kind)!;
      return {
        subject: templates.subject(data).replace(/\s+/g, ' ').trim(),
        text: templates.text(data),
        html: templates.html(data),
      };
    },
  };
}
