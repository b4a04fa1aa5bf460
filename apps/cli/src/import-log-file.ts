import { readFile } from 'node:fs/promises';
import { checkImportLog } from '@kbisect/service/driver';
import { UsageError } from './usage-error.js';

/** Reads and parses the log before any git work, so a bad line is a usage error naming the flag and the line. */
export async function readLogFile(command: string, path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`kbisect ${command}: --import-log: cannot read '${path}'`);
  }
  try {
    checkImportLog(text, '--import-log');
  } catch (err) {
    throw new UsageError(`kbisect ${command}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return text;
}
