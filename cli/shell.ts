/** Command lines the CLI prints for the operator to run (e.g. how to resume): quoted for a POSIX shell. */

/** `word` as one shell word: unchanged when it is safe as is, else in single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The words as one command line for a POSIX shell. */
export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
