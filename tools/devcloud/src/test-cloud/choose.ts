/**
 * Which cloud a test file gets: devcloud (in this process) or LocalStack (a container started
 * through testcontainers). `GAS_TEST_CLOUD` says which:
 *
 *   auto (default)  LocalStack when a Docker engine answers, devcloud otherwise
 *   devcloud        devcloud, no Docker asked
 *   localstack      LocalStack; no Docker engine is an error that says how to fix it
 *
 * A test declares the capabilities it needs beyond plain S3/SQS/SNS/DynamoDB. LocalStack's
 * free image either has them (the SES mailbox: `/_aws/ses`) or does not, and then that test
 * file runs on devcloud, with the reason, whatever GAS_TEST_CLOUD asked: a test never runs
 * against a cloud that cannot do what it checks. The Stripe stand-in, the identity provider
 * and the local CA are not AWS: they run beside either cloud (see test-cloud.ts).
 */
import { probeDockerEngine } from './docker-engine.ts';

export type TestCloudBackend = 'devcloud' | 'localstack';
export type TestCloudMode = 'auto' | TestCloudBackend;

export const TEST_CLOUD_MODES: readonly TestCloudMode[] = ['auto', 'devcloud', 'localstack'];

/** What a test may need beyond plain S3/SQS/SNS/DynamoDB calls. */
export type TestCloudCapability = 'sesMailbox' | 'snsWebhooks' | 'glacierVault' | 's3Restore';

/**
 * How LocalStack (community image, LOCALSTACK_IMAGE) serves each capability: `null` = it does,
 * a sentence = why the test runs on devcloud instead. The README's table says the same.
 */
export const LOCALSTACK_GAPS: Record<TestCloudCapability, string | null> = {
  // GET /_aws/ses lists every message SES accepted (read by test-cloud.ts's mailbox()).
  sesMailbox: null,
  snsWebhooks:
    'signed SNS deliveries to a webhook in the test process: LocalStack runs in a container, where ' +
    "127.0.0.1 is not the test's host, and its SigningCertURL is not served from devcloud's CA",
  glacierVault: 'the Glacier vault API is not in the LocalStack community image',
  s3Restore:
    'GLACIER restores that complete after a set delay with an s3:ObjectRestore:Completed event to SNS ' +
    '(the thawer tests time their checks against that delay)',
};

export interface TestCloudDecision {
  backend: TestCloudBackend;
  /** One sentence: why this backend. */
  reason: string;
  /** The Docker endpoint that answered, when LocalStack was chosen. */
  dockerEndpoint: string | null;
}

/** A test-cloud setting that cannot work as given; its message is one sentence saying what to do. */
export class TestCloudConfigError extends Error {
  override name = 'TestCloudConfigError';
  constructor(message: string) {
    super(message);
    // Test runners print `stack`: the sentence alone is the whole story (no frames to read past).
    this.stack = `${this.name}: ${message}`;
  }
}

export interface ChooseOptions {
  needs?: readonly TestCloudCapability[];
  /** Default process.env: GAS_TEST_CLOUD, DOCKER_HOST, ... */
  env?: NodeJS.ProcessEnv;
  /** Docker endpoints to try instead of the usual places (tests). */
  dockerEndpoints?: string[];
  dockerTimeoutMs?: number;
}

export function testCloudMode(env: NodeJS.ProcessEnv = process.env): TestCloudMode {
  const raw = (env.GAS_TEST_CLOUD ?? '').trim().toLowerCase() || 'auto';
  if ((TEST_CLOUD_MODES as readonly string[]).includes(raw)) return raw as TestCloudMode;
  throw new TestCloudConfigError(
    `GAS_TEST_CLOUD=${env.GAS_TEST_CLOUD} is not one of ${TEST_CLOUD_MODES.join(', ')}; unset it to let the tests choose (LocalStack when Docker answers, devcloud otherwise).`,
  );
}

export async function chooseTestCloud(options: ChooseOptions = {}): Promise<TestCloudDecision> {
  const env = options.env ?? process.env;
  const mode = testCloudMode(env);
  if (mode === 'devcloud') {
    return { backend: 'devcloud', reason: 'GAS_TEST_CLOUD=devcloud', dockerEndpoint: null };
  }
  const gaps = (options.needs ?? []).filter((need) => LOCALSTACK_GAPS[need] !== null);
  if (gaps.length > 0) {
    const why = gaps.map((need) => `${need} (${LOCALSTACK_GAPS[need]})`).join('; ');
    return {
      backend: 'devcloud',
      reason: `this test needs what LocalStack does not provide: ${why}`,
      dockerEndpoint: null,
    };
  }
  const probe = await probeDockerEngine({
    env,
    ...(options.dockerEndpoints ? { endpoints: options.dockerEndpoints } : {}),
    ...(options.dockerTimeoutMs ? { timeoutMs: options.dockerTimeoutMs } : {}),
  });
  const tried = probe.tried.map((t) => `${t.endpoint}${t.error ? ` (${t.error})` : ''}`).join(', ');
  if (probe.endpoint) {
    return {
      backend: 'localstack',
      reason: `GAS_TEST_CLOUD=${mode} and a Docker engine answered at ${probe.endpoint}`,
      dockerEndpoint: probe.endpoint,
    };
  }
  if (mode === 'localstack') {
    throw new TestCloudConfigError(
      `GAS_TEST_CLOUD=localstack needs a Docker engine, and none answered at ${tried || 'any usual place'}: start Docker (or point DOCKER_HOST at a running engine), or unset GAS_TEST_CLOUD to run the tests on devcloud.`,
    );
  }
  return {
    backend: 'devcloud',
    reason: `no Docker engine answered at ${tried || 'any usual place'}`,
    dockerEndpoint: null,
  };
}
