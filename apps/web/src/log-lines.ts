import { counted } from './format.js';

/** "1 line", "12 lines", "empty". */
export function lineCountText(n: number): string {
  return n === 0 ? 'empty' : counted(n, 'line');
}

/** A file's lines as an editor counts them: the newline that ends the last line opens no further line, and an empty file has none. */
export function linesOfText(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
