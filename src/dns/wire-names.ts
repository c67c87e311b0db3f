/**
 * Names in uncompressed wire form, for the messages Meridian builds byte by
 * byte (RFC 2136 updates, TSIG): as written, or in the canonical form TSIG
 * digests (RFC 8945 §4.3.3: lower case). One encoder, so the two cannot
 * disagree on what a name is. Pure.
 */

/** `name` in wire form (length-prefixed labels, the root at the end); throws when it is no DNS name. */
export function nameToWire(name: string, options: { readonly lowercase?: boolean } = {}): Buffer {
  const text = options.lowercase === true ? name.toLowerCase() : name;
  const labels = text
    .replace(/\.$/, '')
    .split('.')
    .filter((label) => label !== '');
  const bytes = labels.map((label) => Buffer.from(label, 'latin1'));
  if (bytes.some((label) => label.length > 63) || name.length > 254)
    throw new Error(`${name} is no DNS name`);
  return Buffer.concat([
    ...bytes.flatMap((label) => [Buffer.from([label.length]), label]),
    Buffer.from([0]),
  ]);
}

/** A name in canonical wire form: lowercase labels, uncompressed. */
export function canonicalWire(name: string): Buffer {
  return nameToWire(name, { lowercase: true });
}
