/** Standard Webhooks signatures (https://www.standardwebhooks.com), via the `standardwebhooks` package. */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new signing secret: `whsec_` and 32 random bytes in base64. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The headers of one attempt; the timestamp is the attempt's, so receivers' replay checks pass. */
export function signedHeaders(
  secret: string,
  messageId: string,
  payload: string,
  at: Date,
): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, at, payload),
  };
}
