import { randomBytes } from 'node:crypto';

/** Delivery ids: `dlv_` and 16 random hex digits. */
export function newDeliveryId(): string {
  return `dlv_${randomBytes(8).toString('hex')}`;
}
