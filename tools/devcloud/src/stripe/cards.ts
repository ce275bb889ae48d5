/**
 * Test cards the hosted checkout page understands, as in Stripe's test mode. Any other number
 * that passes the Luhn check is declined the way Stripe declines a real card in test mode.
 */

export interface CardOutcome {
  ok: boolean;
  brand: string;
  last4: string;
  /** Shown to the payer when the card is refused. */
  message?: string;
  declineCode?: string;
}

const TEST_CARDS: Record<string, { brand: string; decline?: { code: string; message: string } }> = {
  '4242424242424242': { brand: 'visa' },
  '4000056655665556': { brand: 'visa' },
  '5555555555554444': { brand: 'mastercard' },
  '378282246310005': { brand: 'amex' },
  '4000000000000002': {
    brand: 'visa',
    decline: { code: 'generic_decline', message: 'Your card was declined.' },
  },
  '4000000000009995': {
    brand: 'visa',
    decline: { code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  },
  '4000000000000069': { brand: 'visa', decline: { code: 'expired_card', message: 'Your card has expired.' } },
};

function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Checks number, expiry (`MM / YY` or `MM/YYYY`) and CVC as the checkout form sends them. */
export function chargeCard(
  input: { number: string; expiry: string; cvc: string },
  now = new Date(),
): CardOutcome {
  const number = input.number.replace(/[\s-]/g, '');
  const last4 = number.slice(-4);
  if (!/^\d{13,19}$/.test(number) || !passesLuhn(number)) {
    return {
      ok: false,
      brand: 'unknown',
      last4,
      message: 'Your card number is invalid.',
      declineCode: 'invalid_number',
    };
  }
  const expiry = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(input.expiry);
  const month = Number(expiry?.[1]);
  const year = expiry ? Number(expiry[2]!.length === 2 ? `20${expiry[2]}` : expiry[2]) : 0;
  if (!expiry || month < 1 || month > 12) {
    return {
      ok: false,
      brand: 'unknown',
      last4,
      message: "Your card's expiration date is incomplete.",
      declineCode: 'invalid_expiry',
    };
  }
  if (year < now.getUTCFullYear() || (year === now.getUTCFullYear() && month < now.getUTCMonth() + 1)) {
    return {
      ok: false,
      brand: 'unknown',
      last4,
      message: "Your card's expiration date is in the past.",
      declineCode: 'invalid_expiry_year',
    };
  }
  if (!/^\d{3,4}$/.test(input.cvc.trim())) {
    return {
      ok: false,
      brand: 'unknown',
      last4,
      message: "Your card's security code is incomplete.",
      declineCode: 'incorrect_cvc',
    };
  }
  const known = TEST_CARDS[number];
  if (!known) {
    return {
      ok: false,
      brand: 'unknown',
      last4,
      message: 'Your card was declined. Your request was in test mode, but used a non test card.',
      declineCode: 'live_mode_test_card',
    };
  }
  if (known.decline) {
    return {
      ok: false,
      brand: known.brand,
      last4,
      message: known.decline.message,
      declineCode: known.decline.code,
    };
  }
  return { ok: true, brand: known.brand, last4 };
}

export function expiryParts(expiry: string): { month: number; year: number } {
  const match = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(expiry)!;
  return { month: Number(match[1]), year: Number(match[2]!.length === 2 ? `20${match[2]}` : match[2]) };
}
