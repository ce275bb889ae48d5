/**
 * POST /stripe/webhook: the signature (Stripe-Signature, HMAC of the RAW body with
 * STRIPE_WEBHOOK_SECRET, 5-minute tolerance) is checked by the Stripe SDK before anything
 * is read; a bad one is a 400 and nothing changes. This plugin parses JSON as a raw buffer,
 * which is why it is its own encapsulated context. No CSRF token: the signature is the proof.
 */
import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';

export default async function stripeWebhookRoutes(app: FastifyInstance): Promise<void> {
  const { config, stripe } = app.gas;
  const { billing } = app.gas;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_request, body, done) =>
    done(null, body),
  );

  app.post('/stripe/webhook', { config: { csrf: false } }, async (request, reply) => {
    const signature = request.headers['stripe-signature'];
    let event: Stripe.Event;
    try {
      if (typeof signature !== 'string' || !Buffer.isBuffer(request.body)) throw new Error('no signature');
      event = stripe.webhooks.constructEvent(request.body, signature, config.STRIPE_WEBHOOK_SECRET);
    } catch (error) {
      request.log.warn({ reason: (error as Error).message }, 'Stripe webhook refused');
      return reply
        .status(400)
        .send({ message: 'The Stripe signature is missing or does not match this endpoint.' });
    }
    const outcome = await billing.handleEvent(event);
    request.log.info({ stripe_event: event.id, type: event.type, outcome }, 'Stripe event');
    return { received: true, outcome };
  });
}
