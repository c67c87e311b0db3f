/**
 * A TSIG key file as BIND's `tsig-keygen` (and `ddns-confgen`) writes it,
 * so that the same file configures the server and Meridian:
 *
 *     key "meridian-update" {
 *         algorithm hmac-sha256;
 *         secret "base64…";
 *     };
 *
 * One key per file. Only HMAC-SHA256 and HMAC-SHA512 are accepted
 * (docs/adr/0005-own-tsig.md). Pure; the error says what is wrong, never the secret.
 */
import { TSIG_ALGORITHMS, type TsigAlgorithm, type TsigKey } from '../dns/tsig';

/** A key file is a few hundred bytes; anything much larger is no key file. */
export const MAX_KEY_FILE_BYTES = 16_384;

/** Reads the key of `text`; throws an Error naming the problem. */
export function parseTsigKeyFile(text: string): TsigKey {
  if (text.length > MAX_KEY_FILE_BYTES)
    throw new Error(`a key file is at most ${MAX_KEY_FILE_BYTES} bytes`);
  const plain = text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/(#|\/\/)[^\n]*/g, ' ')
    .trim();
  const keys = [...plain.matchAll(/key\s+"?([A-Za-z0-9._-]+)"?\s*\{([^}]*)\}\s*;/g)];
  if (keys.length !== 1)
    throw new Error(
      `expected one key "NAME" { algorithm …; secret "…"; }; statement, found ${keys.length}`,
    );
  const [, name, body] = keys[0]!;
  const algorithm = /algorithm\s+"?([A-Za-z0-9-]+)"?\s*;/.exec(body!)?.[1]?.toLowerCase();
  if (algorithm === undefined || !(algorithm in TSIG_ALGORITHMS))
    throw new Error(
      `key ${name!}: algorithm ${algorithm ?? '(none)'} is not one of ${Object.keys(TSIG_ALGORITHMS).join(', ')}`,
    );
  const secretText = /secret\s+"([A-Za-z0-9+/=\s]+)"\s*;/.exec(body!)?.[1]?.replace(/\s/g, '');
  const secret = secretText === undefined ? Buffer.alloc(0) : Buffer.from(secretText, 'base64');
  if (secret.length < 16) throw new Error(`key ${name!}: no base64 secret of 16 bytes or more`);
  return { name: name!, algorithm: algorithm as TsigAlgorithm, secret };
}
