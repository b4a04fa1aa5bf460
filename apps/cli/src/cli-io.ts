/** Where a command prints: stdout (results, for scripts), stderr (progress, errors), and whether stderr is a terminal. */
export type CliIo = { readonly out: (s: string) => void; readonly err: (s: string) => void; readonly isTty: boolean };
