/**
 * The admin listener's bearer token: read from its file once at start-up,
 * checked on every request in constant time. Both sides are hashed first, so
 * the comparison costs the same whatever the presented value's length or
 * content, and the token's length leaks no more than its bytes do.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { MeridianError } from '../errors';

/** Shortest token accepted: a guessable token on a listener that reveals topology is refused. */
export const MIN_TOKEN_LENGTH = 16;

/** The token held in a file's text (surrounding white space, a trailing newline, dropped). */
export function tokenFromFile(text: string, path: string): string {
  const token = text.trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new MeridianError(
      'MERIDIAN_ERR_ADMIN',
      `admin token file ${path} must hold one token of ${MIN_TOKEN_LENGTH} characters or more, without spaces`,
    );
  }
  return token;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Decides whether a request's Authorization header carries the token. */
export class BearerCheck {
  private readonly expected: Buffer | null;

  /** @param token the token, or null when requests need none. */
  constructor(token: string | null) {
    this.expected = token === null ? null : digest(token);
  }

  /** True when no token is required, or `header` is `Bearer <token>`. */
  allows(header: string | undefined): boolean {
    if (this.expected === null) return true;
    const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
    // Hashed even when absent, so a missing header costs what a wrong one does.
    const presented = digest(match?.[1] ?? '');
    return timingSafeEqual(presented, this.expected) && match !== null;
  }
}
