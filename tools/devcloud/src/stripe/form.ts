/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` (or the query string of a GET)
 * with bracket keys, as the SDK writes them: `metadata[plan]=premium`,
 * `line_items[0][price]=price_1`, `expand[0]=subscription` (also `expand[]=...`).
 * Parsed into nested objects and arrays; a key that is both a value and a container is refused.
 */

export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

export class FormError extends Error {
  readonly param: string;
  constructor(param: string, message: string) {
    super(message);
    this.name = 'FormError';
    this.param = param;
  }
}

function splitKey(key: string): string[] {
  const first = key.indexOf('[');
  if (first < 0) return [key];
  const parts = [key.slice(0, first)];
  const rest = key.slice(first);
  const pattern = /\[([^\]]*)\]/g;
  let consumed = 0;
  for (const match of rest.matchAll(pattern)) {
    if (match.index !== consumed) throw new FormError(key, `Invalid parameter name: ${key}`);
    parts.push(match[1]!);
    consumed = match.index + match[0].length;
  }
  if (consumed !== rest.length) throw new FormError(key, `Invalid parameter name: ${key}`);
  return parts;
}

export function parseStripeForm(encoded: string): FormObject {
  const root: FormObject = {};
  for (const [key, value] of new URLSearchParams(encoded)) {
    const parts = splitKey(key);
    let container: FormObject = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      if (last) {
        if (part === '' && Array.isArray(container)) {
          (container as unknown as FormValue[]).push(value);
        } else if (typeof container[part] === 'object') {
          throw new FormError(key, `Parameter ${key} cannot be both a value and a hash or array.`);
        } else {
          container[part] = value;
        }
        break;
      }
      const nextIsIndex = parts[i + 1] === '' || /^\d+$/.test(parts[i + 1]!);
      const key2 =
        part === '' && Array.isArray(container) ? String((container as unknown as FormValue[]).length) : part;
      let next = container[key2];
      if (next === undefined) {
        next = nextIsIndex ? [] : {};
        container[key2] = next;
      } else if (typeof next !== 'object') {
        throw new FormError(key, `Parameter ${key} cannot be both a value and a hash or array.`);
      }
      container = next as FormObject;
    }
  }
  return compactArrays(root) as FormObject;
}

/** Sparse or out-of-order indices (`a[2]` before `a[0]`) become dense arrays in index order. */
function compactArrays(value: FormValue): FormValue {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const entries = Object.entries(value as unknown as Record<string, FormValue>)
      .filter(([k]) => /^\d+$/.test(k))
      .sort(([a], [b]) => Number(a) - Number(b));
    return entries.map(([, v]) => compactArrays(v));
  }
  const out: FormObject = {};
  for (const [k, v] of Object.entries(value)) out[k] = compactArrays(v);
  return out;
}
