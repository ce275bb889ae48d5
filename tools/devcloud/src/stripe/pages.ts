/**
 * The stand-in's hosted pages, plain HTML forms that work with JavaScript off:
 *
 *   GET  /c/pay/:sessionId           hosted Checkout (subscription mode): e-mail, name, card
 *   POST /c/pay/:sessionId           pay: 303 to success_url ({CHECKOUT_SESSION_ID} filled in),
 *                                    or the page again with the decline message (402)
 *   GET  /p/session/:portalSessionId customer portal: the customer's subscriptions
 *   POST /p/session/:id/cancel       Cancel (see `portalCancel`), then 303 to return_url
 *   POST /p/session/:id/renew        undo a cancel-at-period-end
 *   POST /p/session/:id/card         update the card; pays a past_due subscription's open invoice
 *
 * The session id in the URL is the credential, as with Stripe's own pages; portal sessions
 * stop working an hour after they were created.
 */
import type { StripeEngine } from './engine.ts';
import { formatAmount } from './engine.ts';
import { nowSeconds, type StripeObject } from './state.ts';

const PORTAL_SESSION_LIFETIME_SECONDS = 3600;
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'";

export interface PageAnswer {
  status: number;
  html?: string;
  location?: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f6f9fc;color:#1a1f36;margin:0}
main{max-width:30rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 2px 8px #0001}
.test{background:#ffde92;color:#663c00;font-size:.8rem;padding:.2rem .5rem;border-radius:4px;display:inline-block}
label{display:block;margin:.8rem 0 .2rem;font-size:.9rem}input{width:100%;box-sizing:border-box;padding:.55rem;font-size:1rem;border:1px solid #ccd;border-radius:4px}
.row{display:flex;gap:.8rem}.row>div{flex:1}
button{margin-top:1.2rem;padding:.65rem 1.2rem;font-size:1rem;border:0;border-radius:4px;background:#635bff;color:#fff;cursor:pointer}
button.secondary{background:#e3e8ee;color:#1a1f36}
.error{background:#fde8e8;color:#8a1c1c;padding:.6rem .8rem;border-radius:4px}
.note{color:#697386;font-size:.85rem}
.sub{border:1px solid #e3e8ee;border-radius:6px;padding:1rem;margin:1rem 0}
</style></head>
<body><main><p><span class="test">TEST MODE · devcloud Stripe stand-in</span></p>
${body}</main></body></html>`;
}

const date = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString().slice(0, 10);

function priceText(price: StripeObject): string {
  const recurring = price.recurring as { interval: string; interval_count: number } | null;
  const amount = formatAmount(price.unit_amount as number, price.currency as string);
  if (!recurring) return amount;
  return recurring.interval_count === 1
    ? `${amount} per ${recurring.interval}`
    : `${amount} every ${recurring.interval_count} ${recurring.interval}s`;
}

export function checkoutPage(
  engine: StripeEngine,
  sessionId: string,
  state: { error?: string; email?: string; name?: string } = {},
  status = 200,
): PageAnswer {
  const session = engine.state.get('checkout.session', sessionId);
  if (!session) return { status: 404, html: layout('Not found', '<h1>Checkout session not found</h1>') };
  const cancel = session.cancel_url
    ? `<p><a href="${escapeHtml(String(session.cancel_url))}">← Back</a></p>`
    : '';
  if (session.status === 'complete') {
    const success = String(session.success_url).replaceAll('{CHECKOUT_SESSION_ID}', session.id);
    return {
      status: 200,
      html: layout(
        'Paid',
        `<h1>Already paid</h1><p>This checkout is complete.</p><p><a href="${escapeHtml(success)}">Continue</a></p>`,
      ),
    };
  }
  if (session.status === 'expired' || (session.expires_at as number) < nowSeconds()) {
    return { status: 410, html: layout('Expired', `<h1>This checkout session has expired</h1>${cancel}`) };
  }
  const customer = session.customer ? engine.state.get('customer', session.customer as string) : undefined;
  const fixedEmail = (customer?.email as string | null) ?? (session.customer_email as string | null);
  const lines = (session.__line_items as { price: string; quantity: number }[]).map((line) => {
    const price = engine.state.get('price', line.price)!;
    const product = engine.state.get('product', price.product as string);
    return `<p><strong>${escapeHtml(String(product?.name ?? price.id))}</strong><br>${escapeHtml(priceText(price))}${line.quantity > 1 ? ` × ${line.quantity}` : ''}</p>`;
  });
  const error = state.error ? `<p class="error" role="alert">${escapeHtml(state.error)}</p>` : '';
  const email = fixedEmail
    ? `<label for="email">E-mail</label><input id="email" name="email" type="email" value="${escapeHtml(fixedEmail)}" readonly>`
    : `<label for="email">E-mail</label><input id="email" name="email" type="email" required value="${escapeHtml(state.email ?? '')}">`;
  return {
    status,
    html: layout(
      'Subscribe',
      `${cancel}<h1>Subscribe</h1>${lines.join('')}
${error}
<form method="post" action="/c/pay/${encodeURIComponent(session.id)}">
${email}
<label for="name">Name on card</label><input id="name" name="name" required autocomplete="cc-name" value="${escapeHtml(state.name ?? '')}">
<label for="number">Card number</label><input id="number" name="number" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" required>
<div class="row"><div><label for="expiry">Expiry</label><input id="expiry" name="expiry" placeholder="MM / YY" autocomplete="cc-exp" required></div>
<div><label for="cvc">CVC</label><input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="123" required></div></div>
<button type="submit">Subscribe · ${escapeHtml(formatAmount(session.amount_total as number, session.currency as string))}</button>
</form>
<p class="note">Test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined. Any future expiry, any CVC.</p>`,
    ),
  };
}

export function submitCheckout(engine: StripeEngine, sessionId: string, form: URLSearchParams): PageAnswer {
  const session = engine.state.get('checkout.session', sessionId);
  if (!session) return checkoutPage(engine, sessionId);
  const input = {
    email: form.get('email') ?? '',
    name: form.get('name') ?? '',
    number: form.get('number') ?? '',
    expiry: form.get('expiry') ?? '',
    cvc: form.get('cvc') ?? '',
  };
  const result = engine.payCheckoutSession(sessionId, input);
  if (result.ok) return { status: 303, location: result.redirect };
  return checkoutPage(
    engine,
    sessionId,
    { error: result.message, email: input.email, name: input.name },
    402,
  );
}

function portalSession(engine: StripeEngine, id: string): StripeObject | null {
  const session = engine.state.get('billing_portal.session', id);
  if (!session || (session.created as number) + PORTAL_SESSION_LIFETIME_SECONDS < nowSeconds()) return null;
  return session;
}

const portalGone = (): PageAnswer => ({
  status: 404,
  html: layout(
    'Session expired',
    '<h1>This portal link has expired</h1><p>Open the billing portal again from the application.</p>',
  ),
});

export function portalPage(
  engine: StripeEngine,
  id: string,
  notice?: string,
  error?: string,
  status = 200,
): PageAnswer {
  const session = portalSession(engine, id);
  if (!session) return portalGone();
  const customer = engine.state.get('customer', session.customer as string);
  const subscriptions = Object.values(engine.state.all('subscription')).filter(
    (s) => s.customer === session.customer && s.status !== 'canceled',
  );
  const base = `/p/session/${encodeURIComponent(id)}`;
  const cards = subscriptions.map((subscription) => {
    const item = (subscription.items as { data: StripeObject[] }).data[0]!;
    const price = item.price as StripeObject;
    const product = engine.state.get('product', price.product as string);
    const periodEnd = item.current_period_end as number;
    const renewal = subscription.cancel_at_period_end
      ? `Cancels on ${date(periodEnd)}.`
      : `Renews on ${date(periodEnd)}.`;
    const action = subscription.cancel_at_period_end
      ? `<form method="post" action="${base}/renew"><input type="hidden" name="subscription" value="${subscription.id}"><button type="submit">Renew subscription</button></form>`
      : `<form method="post" action="${base}/cancel"><input type="hidden" name="subscription" value="${subscription.id}"><button type="submit" class="secondary">Cancel subscription</button></form>`;
    return `<div class="sub"><p><strong>${escapeHtml(String(product?.name ?? price.id))}</strong> · ${escapeHtml(priceText(price))}</p>
<p>Status: ${escapeHtml(String(subscription.status))}. ${renewal}</p>${action}</div>`;
  });
  const back = session.return_url
    ? `<p><a href="${escapeHtml(String(session.return_url))}">← Return</a></p>`
    : '';
  const defaultMethodId = (
    customer?.invoice_settings as { default_payment_method: string | null } | undefined
  )?.default_payment_method;
  const defaultMethod = defaultMethodId ? engine.state.get('payment_method', defaultMethodId) : undefined;
  const card = defaultMethod?.card as
    | { brand: string; last4: string; exp_month: number; exp_year: number }
    | undefined;
  const cardText = card
    ? `${card.brand.toUpperCase()} ending in ${card.last4}, expires ${String(card.exp_month).padStart(2, '0')}/${card.exp_year}`
    : 'No card on file.';
  return {
    status,
    html: layout(
      'Billing',
      `${back}<h1>Billing</h1><p>${escapeHtml(String(customer?.email ?? ''))}</p>
${notice ? `<p class="note" role="status">${escapeHtml(notice)}</p>` : ''}
<h2>Subscriptions</h2>${cards.length ? cards.join('') : '<p>No active subscription.</p>'}
<h2>Payment method</h2><p>${escapeHtml(cardText)}</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${base}/card">
<label for="name">Name on card</label><input id="name" name="name" required autocomplete="cc-name">
<label for="number">Card number</label><input id="number" name="number" inputmode="numeric" autocomplete="cc-number" required>
<div class="row"><div><label for="expiry">Expiry</label><input id="expiry" name="expiry" placeholder="MM / YY" required></div>
<div><label for="cvc">CVC</label><input id="cvc" name="cvc" inputmode="numeric" required></div></div>
<button type="submit">Update card</button>
</form>`,
    ),
  };
}

export function portalAction(
  engine: StripeEngine,
  id: string,
  action: 'cancel' | 'renew' | 'card',
  form: URLSearchParams,
): PageAnswer {
  const session = portalSession(engine, id);
  if (!session) return portalGone();
  if (action === 'card') {
    const result = engine.updateDefaultCard(session.customer as string, {
      name: form.get('name') ?? '',
      number: form.get('number') ?? '',
      expiry: form.get('expiry') ?? '',
      cvc: form.get('cvc') ?? '',
    });
    return result.ok
      ? portalPage(engine, id, 'Your card was updated.')
      : portalPage(engine, id, undefined, result.message, 402);
  }
  const subscriptionId = form.get('subscription') ?? '';
  const subscription = engine.state.get('subscription', subscriptionId);
  // Only the portal customer's own subscriptions.
  if (!subscription || subscription.customer !== session.customer) {
    return { status: 404, html: layout('Not found', '<h1>No such subscription for this customer</h1>') };
  }
  if (subscription.status === 'canceled')
    return portalPage(engine, id, 'That subscription is already canceled.');
  if (action === 'renew') {
    engine.updateSubscription(subscription.id, { cancelAtPeriodEnd: false });
    return portalPage(engine, id, 'Your subscription will renew.');
  }
  if (engine.options.portalCancel === 'at_period_end') {
    engine.updateSubscription(subscription.id, { cancelAtPeriodEnd: true });
  } else {
    engine.cancelSubscription(subscription.id);
  }
  if (session.return_url) return { status: 303, location: String(session.return_url) };
  return portalPage(engine, id, 'Your subscription is canceled.');
}
