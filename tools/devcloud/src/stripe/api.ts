/**
 * The `/v1` REST API of the Stripe stand-in: the resources GAS uses, with Stripe's parameter
 * checks (unknown top-level parameters are refused by name, so a call the stand-in does not
 * understand fails loudly instead of being half-applied), list pagination (`limit`,
 * `starting_after`, `ending_before`; newest first) and `expand`.
 */
import type { StripeEngine } from './engine.ts';
import { invalidRequest, mergeMetadata, noSuch, StripeError } from './engine.ts';
import type { FormObject, FormValue } from './form.ts';
import {
  type Collection,
  collectionOfId,
  listObject,
  newId,
  nowSeconds,
  publicView,
  type StripeObject,
} from './state.ts';

export interface ApiRequest {
  method: string;
  path: string;
  params: FormObject;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

class Params {
  readonly #values: FormObject;
  constructor(values: FormObject, allowed: string[]) {
    this.#values = values;
    for (const key of Object.keys(values)) {
      if (key !== 'expand' && !allowed.includes(key)) {
        throw invalidRequest(
          `Received unknown parameter: ${key} (the devcloud Stripe stand-in does not implement it)`,
          key,
          'parameter_unknown',
        );
      }
    }
  }

  has(name: string): boolean {
    return this.#values[name] !== undefined;
  }

  str(name: string, required: true): string;
  str(name: string, required?: false): string | undefined;
  str(name: string, required = false): string | undefined {
    const value = this.#values[name];
    if (value === undefined || value === '') {
      if (required) throw invalidRequest(`Missing required param: ${name}.`, name, 'parameter_missing');
      return undefined;
    }
    if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${name} must be a string.`, name);
    return value;
  }

  int(name: string, required = false): number | undefined {
    const text = required ? this.str(name, true) : this.str(name);
    if (text === undefined) return undefined;
    if (!/^-?\d+$/.test(text)) throw invalidRequest(`Invalid integer: ${text}`, name);
    return Number(text);
  }

  bool(name: string): boolean | undefined {
    const text = this.str(name);
    if (text === undefined) return undefined;
    if (text !== 'true' && text !== 'false') throw invalidRequest(`Invalid boolean: ${text}`, name);
    return text === 'true';
  }

  hash(name: string): FormObject | undefined {
    const value = this.#values[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'object' || Array.isArray(value))
      throw invalidRequest(`Invalid hash: ${name} must be a hash.`, name);
    return value;
  }

  array(name: string): FormValue[] | undefined {
    const value = this.#values[name];
    if (value === undefined || value === '') return undefined;
    if (!Array.isArray(value)) throw invalidRequest(`Invalid array: ${name} must be an array.`, name);
    return value;
  }

  metadata(name = 'metadata'): Record<string, string> | undefined {
    const hash = this.hash(name);
    if (!hash) return undefined;
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(hash)) {
      if (typeof value !== 'string')
        throw invalidRequest(`Invalid metadata: ${name}[${key}] must be a string.`, `${name}[${key}]`);
      if (key.length > 40)
        throw invalidRequest(`Metadata keys can be at most 40 characters: ${key}`, `${name}[${key}]`);
      if (value.length > 500)
        throw invalidRequest(`Metadata values can be at most 500 characters: ${key}`, `${name}[${key}]`);
      out[key] = value;
    }
    return out;
  }
}

const LIST_PARAMS = ['limit', 'starting_after', 'ending_before'];

function paginate(all: StripeObject[], params: Params, url: string) {
  const limit = params.int('limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('Invalid limit: must be between 1 and 100.', 'limit');
  // Newest first; insertion order breaks ties within the same second.
  const sorted = all
    .map((object, index) => ({ object, index }))
    .sort((a, b) => (b.object.created as number) - (a.object.created as number) || b.index - a.index)
    .map(({ object }) => object);
  const after = params.str('starting_after');
  const before = params.str('ending_before');
  let page: StripeObject[];
  let hasMore: boolean;
  if (after) {
    const at = sorted.findIndex((o) => o.id === after);
    if (at < 0) throw noSuch('object', after, 'starting_after');
    page = sorted.slice(at + 1, at + 1 + limit);
    hasMore = at + 1 + limit < sorted.length;
  } else if (before) {
    const at = sorted.findIndex((o) => o.id === before);
    if (at < 0) throw noSuch('object', before, 'ending_before');
    page = sorted.slice(Math.max(0, at - limit), at);
    hasMore = at - limit > 0;
  } else {
    page = sorted.slice(0, limit);
    hasMore = limit < sorted.length;
  }
  return listObject(url, page, hasMore);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const INTERVALS = ['day', 'week', 'month', 'year'];

export class StripeApi {
  readonly #engine: StripeEngine;
  #changedOnGet = false;

  constructor(engine: StripeEngine) {
    this.#engine = engine;
  }

  get #state() {
    return this.#engine.state;
  }

  #require(collection: Collection, id: string, what: string = collection, param = 'id'): StripeObject {
    const object = this.#state.get(collection, id);
    if (!object) throw noSuch(what, id, param);
    return object;
  }

  /** A response body: internal fields removed, `expand[]` applied. */
  render(object: unknown, expand: string[]): unknown {
    let view: unknown = object;
    if (
      object &&
      typeof object === 'object' &&
      (object as StripeObject).object === 'checkout.session' &&
      expand.includes('line_items')
    ) {
      view = { ...(object as StripeObject), line_items: this.#lineItems(object as StripeObject) };
    }
    view = publicView(structuredClone(view));
    for (const path of expand) {
      if (path !== 'line_items') view = this.#expand(view, path.split('.'), 0);
    }
    return view;
  }

  #expand(value: unknown, path: string[], depth: number): unknown {
    if (depth > 4 || path.length === 0 || value === null || typeof value !== 'object') return value;
    const [head, ...rest] = path as [string, ...string[]];
    if (Array.isArray(value)) return value.map((entry) => this.#expand(entry, path, depth));
    const record = value as Record<string, unknown>;
    if (!(head in record)) {
      throw invalidRequest(`This property cannot be expanded (${head}).`, 'expand');
    }
    let field = record[head];
    if (typeof field === 'string' && collectionOfId(field)) {
      const found = this.#state.byId(field);
      if (found) field = publicView(structuredClone(found));
    }
    return { ...record, [head]: rest.length ? this.#expand(field, rest, depth + 1) : field };
  }

  #lineItems(session: StripeObject) {
    const items = (session.__line_items as { id: string; price: string; quantity: number }[]).map((line) => {
      const price = this.#state.get('price', line.price)!;
      const product = this.#state.get('product', price.product as string);
      const amount = (price.unit_amount as number) * line.quantity;
      return {
        id: line.id,
        object: 'item',
        amount_discount: 0,
        amount_subtotal: amount,
        amount_tax: 0,
        amount_total: amount,
        currency: price.currency,
        description: product?.name ?? null,
        price: publicView(structuredClone(price)),
        quantity: line.quantity,
      } as unknown as StripeObject;
    });
    return listObject(`/v1/checkout/sessions/${session.id}/line_items`, items, false);
  }

  async handle(req: ApiRequest): Promise<ApiAnswer> {
    const expandValue = req.params.expand;
    const expand = (Array.isArray(expandValue) ? expandValue : expandValue ? [expandValue] : []).map(String);
    const answer = this.#route(req);
    if (req.method !== 'GET' || this.#changedOnGet) await this.#state.save();
    this.#changedOnGet = false;
    return { status: 200, body: this.render(answer, expand) };
  }

  #route(req: ApiRequest): unknown {
    let segments: string[];
    try {
      segments = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw invalidRequest(`Malformed percent-encoding in the path ${req.path}`);
    }
    if (segments[0] !== 'v1')
      throw new StripeError(
        404,
        'invalid_request_error',
        `Unrecognized request URL (${req.method}: ${req.path}).`,
      );
    const [, resource, id, action] = segments;
    const m = req.method;
    const p = req.params;
    switch (resource) {
      case 'customers':
        if (!id && m === 'POST')
          return this.#createCustomer(new Params(p, ['email', 'name', 'description', 'phone', 'metadata']));
        if (!id && m === 'GET') {
          const params = new Params(p, [...LIST_PARAMS, 'email', 'created']);
          const email = params.str('email');
          const all = Object.values(this.#state.all('customer')).filter(
            (c) => !c.deleted && (!email || c.email === email),
          );
          return paginate(all, params, '/v1/customers');
        }
        if (id && !action && m === 'GET') {
          new Params(p, []);
          return this.#require('customer', id);
        }
        if (id && !action && m === 'POST')
          return this.#updateCustomer(
            id,
            new Params(p, ['email', 'name', 'description', 'phone', 'metadata']),
          );
        if (id && !action && m === 'DELETE') {
          const customer = this.#require('customer', id);
          for (const subscription of Object.values(this.#state.all('subscription'))) {
            if (subscription.customer === id && subscription.status !== 'canceled')
              this.#engine.cancelSubscription(subscription.id);
          }
          delete this.#state.all('customer')[id];
          this.#engine.emit('customer.deleted', customer);
          return { id, object: 'customer', deleted: true };
        }
        break;
      case 'products':
        if (!id && m === 'POST') {
          const params = new Params(p, ['id', 'name', 'description', 'active', 'metadata']);
          return this.#engine.createProduct({
            id: params.str('id'),
            name: params.str('name', true),
            description: params.str('description'),
            active: params.bool('active'),
            metadata: params.metadata(),
          });
        }
        if (!id && m === 'GET') {
          const params = new Params(p, [...LIST_PARAMS, 'active', 'ids', 'created']);
          const active = params.bool('active');
          const ids = params.array('ids')?.map(String);
          const all = Object.values(this.#state.all('product')).filter(
            (product) =>
              (active === undefined || product.active === active) && (!ids || ids.includes(product.id)),
          );
          return paginate(all, params, '/v1/products');
        }
        if (id && m === 'GET') {
          new Params(p, []);
          return this.#require('product', id);
        }
        if (id && m === 'POST') {
          const params = new Params(p, ['name', 'description', 'active', 'metadata', 'default_price']);
          const product = this.#require('product', id);
          const before = structuredClone(product);
          if (params.has('name')) product.name = params.str('name', true);
          if (params.has('description')) product.description = params.str('description') ?? null;
          if (params.has('active')) product.active = params.bool('active');
          if (params.has('default_price'))
            product.default_price = this.#require(
              'price',
              params.str('default_price', true),
              'price',
              'default_price',
            ).id;
          const metadata = params.metadata();
          if (metadata)
            product.metadata = mergeMetadata(product.metadata as Record<string, string>, metadata);
          product.updated = nowSeconds();
          this.#engine.emitUpdated('product.updated', product, before);
          return product;
        }
        break;
      case 'prices':
        if (!id && m === 'POST')
          return this.#createPrice(
            new Params(p, [
              'product',
              'product_data',
              'currency',
              'unit_amount',
              'recurring',
              'lookup_key',
              'transfer_lookup_key',
              'nickname',
              'active',
              'metadata',
            ]),
          );
        if (!id && m === 'GET') {
          const params = new Params(p, [
            ...LIST_PARAMS,
            'active',
            'product',
            'lookup_keys',
            'type',
            'currency',
            'created',
            'recurring',
          ]);
          const active = params.bool('active');
          const product = params.str('product');
          const lookupKeys = params.array('lookup_keys')?.map(String);
          const type = params.str('type');
          const currency = params.str('currency');
          const all = Object.values(this.#state.all('price')).filter(
            (price) =>
              (active === undefined || price.active === active) &&
              (!product || price.product === product) &&
              (!lookupKeys || lookupKeys.includes(price.lookup_key as string)) &&
              (!type || price.type === type) &&
              (!currency || price.currency === currency),
          );
          return paginate(all, params, '/v1/prices');
        }
        if (id && m === 'GET') {
          new Params(p, []);
          return this.#require('price', id);
        }
        if (id && m === 'POST') {
          const params = new Params(p, [
            'active',
            'metadata',
            'nickname',
            'lookup_key',
            'transfer_lookup_key',
          ]);
          const price = this.#require('price', id);
          const before = structuredClone(price);
          if (params.has('active')) price.active = params.bool('active');
          if (params.has('nickname')) price.nickname = params.str('nickname') ?? null;
          if (params.has('lookup_key'))
            this.#assignLookupKey(
              price,
              params.str('lookup_key')!,
              params.bool('transfer_lookup_key') ?? false,
            );
          const metadata = params.metadata();
          if (metadata) price.metadata = mergeMetadata(price.metadata as Record<string, string>, metadata);
          this.#engine.emitUpdated('price.updated', price, before);
          return price;
        }
        break;
      case 'checkout':
        return this.#checkout(req, segments.slice(2));
      case 'subscriptions':
        if (!id && m === 'GET') {
          const params = new Params(p, [...LIST_PARAMS, 'customer', 'status', 'price', 'created']);
          const customer = params.str('customer');
          const status = params.str('status');
          const price = params.str('price');
          const all = Object.values(this.#state.all('subscription')).filter(
            (s) =>
              (!customer || s.customer === customer) &&
              (status === 'all' || (status ? s.status === status : s.status !== 'canceled')) &&
              (!price ||
                (s.items as { data: { price: { id: string } }[] }).data.some(
                  (item) => item.price.id === price,
                )),
          );
          return paginate(all, params, '/v1/subscriptions');
        }
        if (id && !action && m === 'GET') {
          new Params(p, []);
          return this.#require('subscription', id);
        }
        if (id && !action && m === 'POST') {
          const params = new Params(p, ['cancel_at_period_end', 'metadata', 'cancellation_details']);
          const details = params.hash('cancellation_details');
          return this.#engine.updateSubscription(id, {
            cancelAtPeriodEnd: params.bool('cancel_at_period_end'),
            metadata: params.metadata(),
            comment: typeof details?.comment === 'string' ? details.comment : undefined,
          });
        }
        if (id && !action && m === 'DELETE') {
          new Params(p, ['invoice_now', 'prorate', 'cancellation_details']);
          return this.#engine.cancelSubscription(id);
        }
        break;
      case 'invoices':
        if (!id && m === 'GET') {
          const params = new Params(p, [...LIST_PARAMS, 'customer', 'subscription', 'status', 'created']);
          const customer = params.str('customer');
          const subscription = params.str('subscription');
          const status = params.str('status');
          const all = Object.values(this.#state.all('invoice')).filter(
            (invoice) =>
              (!customer || invoice.customer === customer) &&
              (!subscription || invoice.subscription === subscription) &&
              (!status || invoice.status === status),
          );
          return paginate(all, params, '/v1/invoices');
        }
        if (id && !action && m === 'GET') {
          new Params(p, []);
          return this.#require('invoice', id);
        }
        break;
      case 'payment_methods':
        if (id && !action && m === 'GET') {
          new Params(p, []);
          return this.#require('payment_method', id);
        }
        break;
      case 'billing_portal':
        if (id === 'sessions' && !action && m === 'POST') {
          const params = new Params(p, [
            'customer',
            'return_url',
            'configuration',
            'locale',
            'flow_data',
            'on_behalf_of',
          ]);
          if (params.has('flow_data'))
            throw invalidRequest(
              'flow_data is not implemented by the devcloud Stripe stand-in.',
              'flow_data',
              'parameter_unknown',
            );
          const customer = this.#require('customer', params.str('customer', true), 'customer', 'customer');
          const returnUrl = params.str('return_url');
          if (returnUrl) assertUrl(returnUrl, 'return_url');
          const session: StripeObject = {
            id: newId('billing_portal.session', 24),
            object: 'billing_portal.session',
            configuration: 'bpc_devcloud_default',
            created: nowSeconds(),
            customer: customer.id,
            flow: null,
            livemode: false,
            locale: params.str('locale') ?? null,
            on_behalf_of: null,
            return_url: returnUrl ?? null,
            url: '',
          };
          session.url = `${this.#engine.options.publicUrl}/p/session/${session.id}`;
          this.#state.put(session);
          return session;
        }
        break;
      case 'webhook_endpoints':
        return this.#webhookEndpoints(req, id);
      case 'events':
        if (!id && m === 'GET') {
          const params = new Params(p, [...LIST_PARAMS, 'type', 'types', 'created', 'delivery_success']);
          const type = params.str('type');
          const types = params.array('types')?.map(String);
          const matches = (eventType: string) => {
            if (type)
              return type.endsWith('.*') ? eventType.startsWith(type.slice(0, -1)) : eventType === type;
            return !types || types.includes(eventType);
          };
          return paginate(
            Object.values(this.#state.all('event')).filter((e) => matches(e.type as string)),
            params,
            '/v1/events',
          );
        }
        if (id && m === 'GET') {
          new Params(p, []);
          return this.#require('event', id);
        }
        break;
    }
    throw new StripeError(
      404,
      'invalid_request_error',
      `Unrecognized request URL (${m}: ${req.path}). The devcloud Stripe stand-in does not implement it.`,
    );
  }

  #createCustomer(params: Params): StripeObject {
    const email = params.str('email');
    if (email && !EMAIL.test(email))
      throw invalidRequest(`Invalid email address: ${email}`, 'email', 'email_invalid');
    return this.#engine.createCustomer({
      email,
      name: params.str('name'),
      description: params.str('description'),
      phone: params.str('phone'),
      metadata: params.metadata(),
    });
  }

  #updateCustomer(id: string, params: Params): StripeObject {
    const customer = this.#require('customer', id);
    const before = structuredClone(customer);
    if (params.has('email')) {
      const email = params.str('email');
      if (email && !EMAIL.test(email))
        throw invalidRequest(`Invalid email address: ${email}`, 'email', 'email_invalid');
      customer.email = email ?? null;
    }
    for (const field of ['name', 'description', 'phone'] as const) {
      if (params.has(field)) customer[field] = params.str(field) ?? null;
    }
    const metadata = params.metadata();
    if (metadata) customer.metadata = mergeMetadata(customer.metadata as Record<string, string>, metadata);
    this.#engine.emitUpdated('customer.updated', customer, before);
    return customer;
  }

  #assignLookupKey(price: StripeObject, key: string, transfer: boolean): void {
    const holder = Object.values(this.#state.all('price')).find(
      (other) => other.lookup_key === key && other.id !== price.id,
    );
    if (holder) {
      if (!transfer) {
        throw invalidRequest(
          `A price (\`${holder.id}\`) already uses that lookup key. Pass transfer_lookup_key=true to move it.`,
          'lookup_key',
        );
      }
      holder.lookup_key = null;
    }
    price.lookup_key = key;
  }

  #createPrice(params: Params): StripeObject {
    const currency = params.str('currency', true).toLowerCase();
    if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest(`Invalid currency: ${currency}`, 'currency');
    const unitAmount = params.int('unit_amount', true)!;
    if (unitAmount < 0) throw invalidRequest('unit_amount must be at least 0.', 'unit_amount');
    let productId = params.str('product');
    const productData = params.hash('product_data');
    if (productId && productData)
      throw invalidRequest('You may only specify one of these parameters: product, product_data.', 'product');
    if (productData) {
      if (typeof productData.name !== 'string' || !productData.name) {
        throw invalidRequest(
          'Missing required param: product_data[name].',
          'product_data[name]',
          'parameter_missing',
        );
      }
      productId = this.#engine.createProduct({ name: productData.name }).id;
    }
    if (!productId) throw invalidRequest('Missing required param: product.', 'product', 'parameter_missing');
    this.#require('product', productId, 'product', 'product');
    const recurringHash = params.hash('recurring');
    let recurring: { interval: 'day' | 'week' | 'month' | 'year'; interval_count: number } | null = null;
    if (recurringHash) {
      const interval = recurringHash.interval;
      if (typeof interval !== 'string' || !INTERVALS.includes(interval)) {
        throw invalidRequest(
          'recurring[interval] must be one of day, week, month, year.',
          'recurring[interval]',
        );
      }
      const count = recurringHash.interval_count === undefined ? 1 : Number(recurringHash.interval_count);
      if (!Number.isInteger(count) || count < 1)
        throw invalidRequest(
          'recurring[interval_count] must be a positive integer.',
          'recurring[interval_count]',
        );
      recurring = { interval: interval as 'month', interval_count: count };
    }
    const price = this.#engine.createPrice({
      product: productId,
      currency,
      unitAmount,
      recurring,
      nickname: params.str('nickname'),
      active: params.bool('active'),
      metadata: params.metadata(),
    });
    const lookupKey = params.str('lookup_key');
    if (lookupKey) this.#assignLookupKey(price, lookupKey, params.bool('transfer_lookup_key') ?? false);
    return price;
  }

  #checkout(req: ApiRequest, rest: string[]): unknown {
    const [kind, id, action] = rest;
    if (kind !== 'sessions')
      throw new StripeError(
        404,
        'invalid_request_error',
        `Unrecognized request URL (${req.method}: ${req.path}).`,
      );
    const p = req.params;
    if (!id && req.method === 'POST') {
      const params = new Params(p, [
        'mode',
        'line_items',
        'customer',
        'customer_email',
        'client_reference_id',
        'metadata',
        'success_url',
        'cancel_url',
        'subscription_data',
        'payment_method_types',
        'allow_promotion_codes',
        'billing_address_collection',
        'locale',
        'expires_at',
      ]);
      const mode = params.str('mode', true);
      if (mode !== 'subscription') {
        throw invalidRequest(
          `The devcloud Stripe stand-in supports mode=subscription only, not ${mode}.`,
          'mode',
        );
      }
      const lineItems = params.array('line_items');
      if (!lineItems || lineItems.length === 0)
        throw invalidRequest('Missing required param: line_items.', 'line_items', 'parameter_missing');
      if (lineItems.length > 1)
        throw invalidRequest(
          'The devcloud Stripe stand-in supports one line item per subscription.',
          'line_items',
        );
      const lines = lineItems.map((entry, index) => {
        if (typeof entry !== 'object' || Array.isArray(entry) || typeof entry.price !== 'string') {
          throw invalidRequest(
            `Missing required param: line_items[${index}][price].`,
            `line_items[${index}][price]`,
            'parameter_missing',
          );
        }
        const price = this.#require('price', entry.price, 'price', `line_items[${index}][price]`);
        if (!price.active)
          throw invalidRequest(`The price ${price.id} is not active.`, `line_items[${index}][price]`);
        if (!price.recurring) {
          throw invalidRequest(
            'You must provide at least one recurring price in `subscription` mode when using prices.',
            `line_items[${index}][price]`,
          );
        }
        const quantity = entry.quantity === undefined ? 1 : Number(entry.quantity);
        if (!Number.isInteger(quantity) || quantity < 1)
          throw invalidRequest('Quantity must be a positive integer.', `line_items[${index}][quantity]`);
        return {
          id: `li_${newId('price', 24).slice(6)}`,
          price: price.id,
          quantity,
          unitAmount: price.unit_amount as number,
          currency: price.currency as string,
        };
      });
      const customerId = params.str('customer');
      const customerEmail = params.str('customer_email');
      if (customerId && customerEmail) {
        throw invalidRequest(
          'You may only specify one of these parameters: customer, customer_email.',
          'customer_email',
        );
      }
      if (customerId) this.#require('customer', customerId, 'customer', 'customer');
      if (customerEmail && !EMAIL.test(customerEmail))
        throw invalidRequest(`Invalid email address: ${customerEmail}`, 'customer_email', 'email_invalid');
      const successUrl = params.str('success_url', true);
      assertUrl(successUrl, 'success_url');
      const cancelUrl = params.str('cancel_url');
      if (cancelUrl) assertUrl(cancelUrl, 'cancel_url');
      const clientReferenceId = params.str('client_reference_id');
      if (clientReferenceId && clientReferenceId.length > 200) {
        throw invalidRequest('client_reference_id can be at most 200 characters.', 'client_reference_id');
      }
      const subscriptionData = params.hash('subscription_data');
      const subscriptionMetadata = subscriptionData?.metadata;
      if (subscriptionData && Object.keys(subscriptionData).some((key) => key !== 'metadata')) {
        throw invalidRequest(
          'subscription_data supports only metadata in the devcloud Stripe stand-in.',
          'subscription_data',
        );
      }
      const now = nowSeconds();
      const total = lines.reduce((sum, line) => sum + line.unitAmount * line.quantity, 0);
      const session: StripeObject = {
        id: newId('checkout.session', 58),
        object: 'checkout.session',
        after_expiration: null,
        allow_promotion_codes: null,
        amount_subtotal: total,
        amount_total: total,
        automatic_tax: { enabled: false, liability: null, status: null },
        billing_address_collection: null,
        cancel_url: cancelUrl ?? null,
        client_reference_id: clientReferenceId ?? null,
        client_secret: null,
        created: now,
        currency: lines[0]!.currency,
        customer: customerId ?? null,
        customer_creation: customerId ? null : 'always',
        customer_details: null,
        customer_email: customerEmail ?? null,
        expires_at: params.int('expires_at') ?? now + 24 * 3600,
        invoice: null,
        livemode: false,
        locale: params.str('locale') ?? null,
        metadata: params.metadata() ?? {},
        mode: 'subscription',
        payment_intent: null,
        payment_method_types: ['card'],
        payment_status: 'unpaid',
        status: 'open',
        submit_type: null,
        subscription: null,
        success_url: successUrl,
        ui_mode: 'hosted',
        url: '',
        __line_items: lines.map(({ id: lineId, price, quantity }) => ({ id: lineId, price, quantity })),
        __subscription_data: {
          metadata:
            typeof subscriptionMetadata === 'object' && !Array.isArray(subscriptionMetadata)
              ? subscriptionMetadata
              : {},
        },
      };
      session.url = `${this.#engine.options.publicUrl}/c/pay/${session.id}`;
      this.#state.put(session);
      return session;
    }
    if (!id && req.method === 'GET') {
      const params = new Params(p, [
        ...LIST_PARAMS,
        'customer',
        'subscription',
        'status',
        'created',
        'payment_intent',
      ]);
      const customer = params.str('customer');
      const subscription = params.str('subscription');
      const status = params.str('status');
      const all = Object.values(this.#state.all('checkout.session')).filter(
        (s) =>
          (!customer || s.customer === customer) &&
          (!subscription || s.subscription === subscription) &&
          (!status || s.status === status),
      );
      return paginate(all, params, '/v1/checkout/sessions');
    }
    if (id && !action && req.method === 'GET') {
      new Params(p, []);
      const session = this.#require('checkout.session', id, 'checkout.session');
      // An open session past expires_at reads as expired (Stripe expires them on its own).
      if (session.status === 'open' && (session.expires_at as number) < nowSeconds()) {
        this.#engine.expireCheckoutSession(session.id);
        this.#changedOnGet = true;
      }
      return session;
    }
    if (id && action === 'line_items' && req.method === 'GET') {
      new Params(p, LIST_PARAMS);
      return this.#lineItems(this.#require('checkout.session', id, 'checkout.session'));
    }
    if (id && action === 'expire' && req.method === 'POST') {
      new Params(p, []);
      return this.#engine.expireCheckoutSession(id);
    }
    throw new StripeError(
      404,
      'invalid_request_error',
      `Unrecognized request URL (${req.method}: ${req.path}).`,
    );
  }

  #webhookEndpoints(req: ApiRequest, id: string | undefined): unknown {
    const p = req.params;
    if (!id && req.method === 'POST') {
      const params = new Params(p, [
        'url',
        'enabled_events',
        'description',
        'metadata',
        'api_version',
        'connect',
      ]);
      const url = params.str('url', true);
      assertUrl(url, 'url');
      const events = params.array('enabled_events')?.map(String);
      if (!events || events.length === 0)
        throw invalidRequest(
          'Missing required param: enabled_events.',
          'enabled_events',
          'parameter_missing',
        );
      const endpoint = this.createEndpoint({
        url,
        enabledEvents: events,
        description: params.str('description') ?? null,
        metadata: params.metadata() ?? {},
      });
      // The secret is shown once, in the create response, as by Stripe.
      return { ...endpoint, secret: endpoint.__secret };
    }
    if (!id && req.method === 'GET') {
      const params = new Params(p, LIST_PARAMS);
      return paginate(Object.values(this.#state.all('webhook_endpoint')), params, '/v1/webhook_endpoints');
    }
    if (id && req.method === 'GET') {
      new Params(p, []);
      return this.#require('webhook_endpoint', id, 'webhook endpoint');
    }
    if (id && req.method === 'POST') {
      const params = new Params(p, ['url', 'enabled_events', 'description', 'metadata', 'disabled']);
      const endpoint = this.#require('webhook_endpoint', id, 'webhook endpoint');
      if (params.has('url')) {
        const url = params.str('url', true);
        assertUrl(url, 'url');
        endpoint.url = url;
      }
      const events = params.array('enabled_events')?.map(String);
      if (events) endpoint.enabled_events = events;
      if (params.has('description')) endpoint.description = params.str('description') ?? null;
      const disabled = params.bool('disabled');
      if (disabled !== undefined) endpoint.status = disabled ? 'disabled' : 'enabled';
      const metadata = params.metadata();
      if (metadata) endpoint.metadata = mergeMetadata(endpoint.metadata as Record<string, string>, metadata);
      return endpoint;
    }
    if (id && req.method === 'DELETE') {
      this.#require('webhook_endpoint', id, 'webhook endpoint');
      delete this.#state.all('webhook_endpoint')[id];
      return { id, object: 'webhook_endpoint', deleted: true };
    }
    throw new StripeError(
      404,
      'invalid_request_error',
      `Unrecognized request URL (${req.method}: ${req.path}).`,
    );
  }

  createEndpoint(input: {
    id?: string;
    url: string;
    enabledEvents: string[];
    description: string | null;
    metadata: Record<string, string>;
    secret?: string;
  }): StripeObject {
    const endpoint: StripeObject = {
      id: input.id ?? newId('webhook_endpoint', 24),
      object: 'webhook_endpoint',
      api_version: null,
      application: null,
      created: nowSeconds(),
      description: input.description,
      enabled_events: input.enabledEvents,
      livemode: false,
      metadata: input.metadata,
      status: 'enabled',
      url: input.url,
      __secret: input.secret ?? `whsec_${newId('event', 32).slice(4)}`,
    };
    this.#state.put(endpoint);
    return endpoint;
  }
}

function assertUrl(value: string, param: string): void {
  try {
    const url = new URL(value.replaceAll('{CHECKOUT_SESSION_ID}', 'x'));
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw invalidRequest(`Not a valid URL: ${param}`, param, 'url_invalid');
  }
}
