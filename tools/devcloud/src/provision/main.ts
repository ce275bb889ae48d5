/**
 * `tsx tools/devcloud/src/provision/main.ts`: provisions GAS's topics, queues, subscriptions,
 * table, buckets, vault and sender identity in whatever account the AWS_* variables point at
 * (devcloud, LocalStack in docker-compose), idempotently, then prints the result as JSON.
 * With WEBHOOK_BASE_URLS (`annotator=http://annotator:4101,notifier=...`) it also subscribes the
 * services' webhooks; run that once the services listen.
 */
import { AwsConfig, ConfigError, loadConfig } from '@gas/service-kit';
import { Type } from 'typebox';
import { applyPlan, subscribeWebhooks } from './apply.ts';
import { createProvisionClients, destroyProvisionClients } from './clients.ts';
import { planResources, type ServiceName } from './plan.ts';

const ProvisionConfig = Type.Object({
  ...AwsConfig.properties,
  GAS_RESOURCE_PREFIX: Type.String({ default: 'gas', description: 'prefix of every deployed name' }),
  UPLOAD_ORIGINS: Type.String({
    default: 'https://localhost:4433',
    description: 'comma-separated browser origins allowed to upload to the inputs bucket',
  }),
  SENDER_EMAIL: Type.String({ default: 'gas@example.org', description: 'address e-mails are sent from' }),
  WITH_GLACIER_VAULT: Type.Boolean({
    default: true,
    description: 'create the Glacier vault (false where the API is absent)',
  }),
  WEBHOOK_BASE_URLS: Type.String({ default: '', description: 'service=baseUrl pairs, comma-separated' }),
});

async function main(): Promise<void> {
  const config = loadConfig(ProvisionConfig, process.env);
  const plan = planResources(config.GAS_RESOURCE_PREFIX);
  const clients = createProvisionClients(config, config.WITH_GLACIER_VAULT);
  try {
    const provisioned = await applyPlan(plan, clients, {
      uploadOrigins: config.UPLOAD_ORIGINS.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      senderEmail: config.SENDER_EMAIL,
    });
    const webhookBases = Object.fromEntries(
      config.WEBHOOK_BASE_URLS.split(',')
        .map((pair) => pair.trim().split('='))
        .filter((kv): kv is [string, string] => kv.length === 2),
    ) as Partial<Record<ServiceName, string>>;
    if (Object.keys(webhookBases).length > 0) {
      await subscribeWebhooks(plan, clients.sns, provisioned.topicArns, webhookBases);
    }
    process.stdout.write(`${JSON.stringify(provisioned, null, 2)}\n`);
  } finally {
    destroyProvisionClients(clients);
  }
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError ? err.message : `provisioning failed: ${(err as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
