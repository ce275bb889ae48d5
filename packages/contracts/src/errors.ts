/**
 * Error classes of the contracts package. Each has a stable `name` (match on it, not on the
 * message), keeps the underlying error as `cause`, and its message names WHAT failed and
 * WHERE (the record and the JSON-pointer path of the field), so a log line alone is enough.
 */

/** One schema violation: where (JSON pointer into the value) and what. */
export type SchemaIssue = { path: string; message: string };

/** A value did not match a message or record schema. */
export class MessageValidationError extends Error {
  override readonly name = 'MessageValidationError';
  /** What was being validated, e.g. `JobRequested` or `SQS message 2 (id ...) body.Message`. */
  readonly subject: string;
  readonly issues: SchemaIssue[];
  constructor(subject: string, issues: SchemaIssue[], options?: { cause?: unknown }) {
    const listed = issues
      .slice(0, 5)
      .map((issue) => `${issue.path || '(root)'} ${issue.message}`)
      .join('; ');
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
    super(`${subject} is invalid: ${listed}${more}`, options);
    this.subject = subject;
    this.issues = issues;
  }
}

/** An envelope (SNS over HTTP, SNS in SQS) could not be opened: not JSON, wrong shape, ... */
export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
  /** Where, e.g. `SNS HTTP body` or `SQS message 3 (id ...) body`. */
  readonly where: string;
  constructor(where: string, problem: string, options?: { cause?: unknown }) {
    super(`${where}: ${problem}`, options);
    this.where = where;
  }
}

/** A status change that the status machine does not allow. */
export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';
  readonly machine: string;
  readonly from: string;
  readonly to: string;
  constructor(machine: string, from: string, to: string, allowed: readonly string[]) {
    const allowedText = allowed.length ? allowed.join(', ') : 'nothing (final state)';
    super(`${machine} status cannot change from ${from} to ${to}; from ${from} it may go to ${allowedText}`);
    this.machine = machine;
    this.from = from;
    this.to = to;
  }
}
