/**
 * The answer a client gets now, computed the way CoreDNS gets it: a query
 * (with the client's subnet as EDNS Client Subnet) answered by the real
 * answer path on the current snapshot, and the reply read back. Like any
 * query it moves the host's round-robin rotation on by one, and a weighted
 * Gslb's answer is one draw: the explanation lists what else could be drawn.
 */
import { encodeInspectionQuery, readInspectedReply, type InspectedClient } from '../dns/inspect';
import { parseQuery, type ClientSubnet } from '../dns/query';
import { answerMessage } from '../table/answer';
import type { RecordSnapshot } from '../table/snapshot';

/** The answer as an explanation shows it. */
export interface AnswerNow {
  readonly rcode: string;
  readonly authoritative: boolean;
  readonly addresses: readonly string[];
  /** TTL of the address records, or of the SOA of a negative answer; null without either. */
  readonly ttl: number | null;
  /** The ECS SCOPE PREFIX-LENGTH of the reply (0: the answer holds for every client); null without ECS. */
  readonly clientSubnetScope: number | null;
}

/** The answer and the client subnet the answer path saw. */
export interface Answered {
  readonly answer: AnswerNow;
  readonly clientSubnet: ClientSubnet | null;
}

/** Answers `type name` for `client` from `snapshot`. */
export function answerNow(
  snapshot: RecordSnapshot,
  name: string,
  type: 'A' | 'AAAA',
  client: InspectedClient | null,
): Answered {
  const query = encodeInspectionQuery(name, type, client);
  const parsed = parseQuery(query);
  const clientSubnet = parsed.kind === 'query' ? (parsed.edns?.clientSubnet ?? null) : null;
  const result = answerMessage(snapshot, query);
  const reply = result.kind === 'answered' ? readInspectedReply(result.reply) : null;
  if (reply === null) {
    // The query is built here and always readable; this cannot happen.
    throw new Error(`the answer path did not answer ${type} ${name}`);
  }
  return {
    answer: {
      rcode: reply.rcode,
      authoritative: reply.authoritative,
      addresses: reply.answers.map((record) => record.address),
      ttl: reply.answers[0]?.ttl ?? reply.soa?.ttl ?? null,
      clientSubnetScope: reply.clientSubnetScope,
    },
    clientSubnet,
  };
}
