/**
 * A store could not be opened at startup (unreachable Redis, unwritable folder, corrupt or locked
 * SQLite file). The message is one line, for a person: the CLI prints it and exits 1.
 */
export class StoreOpenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreOpenError';
  }
}

/** A store URL that is not one of the accepted forms: a usage error (the CLI exits 2). */
export class StoreUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUrlError';
  }
}

/** The first line of an error's message, without a trailing period, for one-line reasons. */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n', 1)[0]!.trim();
  return line.replace(/\.$/, '') || (error instanceof Error ? error.name : 'unknown error');
}
