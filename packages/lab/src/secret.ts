import { readFile } from 'node:fs/promises';
import { LabInfraError } from './lab-errors.js';
import type { SecretRef } from './machine.js';

/**
 * Reads a secret where its reference points, at the moment it is needed.
 * Errors name the reference, never the value.
 */
export async function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined || value === '') throw new LabInfraError('secret-unavailable', `environment variable ${ref.env} (the BMC password) is not set on this worker`);
    return value;
  }
  let text: string;
  try {
    text = await readFile(ref.file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new LabInfraError('secret-unavailable', `cannot read the BMC password file ${ref.file} (${code})`);
  }
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  if (first === '') throw new LabInfraError('secret-unavailable', `the BMC password file ${ref.file} is empty`);
  return first;
}
