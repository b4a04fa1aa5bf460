import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Strict option parsing with one-line errors: an unknown flag or a missing
 * value names the flag, instead of a Node stack trace.
 */
export function parseOptions<T extends Options>(command: string, argv: readonly string[], options: T): ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: true; args: string[] }>> {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    throw new UsageError(`kbisect ${command}: ${message.replace(/^Unknown option/, 'unknown option').replace(/\. To specify a positional argument.*$/, '')}`);
  }
}

export function requireOption(command: string, name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`kbisect ${command}: --${name} is required`);
  return value;
}
