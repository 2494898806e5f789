"""Signing: handwritten and digital signatures, the completion stamp, the two-party void.

How it meets the Electronic Signature Law, art. 13:
- (1)(2) the signature-creation data belongs to and is controlled by the signer alone: each
  party has an Ed25519 key of its own, made by this service, kept AES-256-GCM sealed at rest
  (`JIETIAO_SIGNING_KEYS`, bound to the party by associated data), and opened only inside one
  signing operation that the party authorised with a fresh single-use identity ticket for this
  note, this digest and this purpose (`domain.keys.sign_with` demands the redeemed ticket).
- (3)(4) any later change to a signature or to the content is detectable: the initiator signs
  the document digest, the counterparty countersigns digest ‖ the initiator's signature ‖ own
  identity commitment, each with the hash of their handwriting (strokes with timing + PNG);
  `domain.verification.verify_note` checks it all from the published events and public keys.

Signing follows drafting by events: it may sign only the digest drafting froze, signatures lapse
when drafting amends, and the note completes only once drafting has locked the signed terms, so
a signature racing an amendment can never complete a note drafting no longer agrees with.
"""
