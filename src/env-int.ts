/**
 * The one parser of integer settings (environment variables and their flags), shared by every
 * config builder so that each reports a bad value the same way: naming the variable, its range and
 * what was given. `fail` turns the message into the builder's error (ConfigError for the server).
 */
export type Fail = (message: string) => Error;

/**
 * `fallback` when `raw` is unset or empty, else `raw` as a whole number in [min, max]; `minNote`
 * explains the minimum in the message (budgets: `0 (unlimited)`).
 */
export function envInt(
  fail: Fail,
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
  minNote?: string,
): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    const low = minNote ? `${min} ${minNote}` : String(min);
    throw fail(`${name} must be an integer between ${low} and ${max}; got '${raw}'.`);
  }
  return n;
}
