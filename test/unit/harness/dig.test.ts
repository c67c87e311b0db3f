/**
 * Reading the replies of one dig process that asked several questions (the
 * benchmark's answer sampler): each reply on its own, a question without a
 * reply missing, so that a short answer is never taken for another's
 * records. The text is what dig 9 printed for three questions to a real
 * CoreDNS (`+noall +comments +answer`), the second one NXDOMAIN.
 */
import { parseReplies } from '../../../harness/dig';

const THREE_REPLIES = `;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 22176
;; flags: qr aa rd; QUERY: 1, ANSWER: 2, AUTHORITY: 1, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
; COOKIE: f41a219f1c86febe (echoed)
;; ANSWER SECTION:
a.example.org.		30	IN	A	192.0.2.1
a.example.org.		30	IN	A	192.0.2.2

;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 8573
;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
; COOKIE: f41a219f1c86febe (echoed)
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 41461
;; flags: qr aa rd; QUERY: 1, ANSWER: 2, AUTHORITY: 1, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
; COOKIE: f41a219f1c86febe (echoed)
;; ANSWER SECTION:
a.example.org.		30	IN	A	192.0.2.1
a.example.org.		30	IN	A	192.0.2.2

`;

test('each reply on its own: status and answer records', () => {
  const replies = parseReplies(THREE_REPLIES);
  expect(replies.map((r) => r.status)).toEqual(['NOERROR', 'NXDOMAIN', 'NOERROR']);
  expect(replies.map((r) => r.answer.map((a) => a.data))).toEqual([
    ['192.0.2.1', '192.0.2.2'],
    [],
    ['192.0.2.1', '192.0.2.2'],
  ]);
  expect(replies[0]!.flags).toEqual(['qr', 'aa', 'rd']);
});

test('a question that got no reply leaves no entry', () => {
  const unanswered =
    ';; communications error to 127.0.0.1#25354: timed out\n;; no servers could be reached\n';
  expect(parseReplies(unanswered)).toEqual([]);
  const [first] = THREE_REPLIES.split(';; Got answer:').slice(1);
  expect(parseReplies(`;; Got answer:${first!}${unanswered}`)).toHaveLength(1);
});
