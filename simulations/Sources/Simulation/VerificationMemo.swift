import Crypto
import Foundation
import Gossip
import MeshCore

/// Remembers the result of catalogue verification across all simulated nodes.
///
/// Verification is a pure function of the signed bytes (payload, signature, certificate
/// chain), the federation CA, the revocation list and the time. All nodes of a simulation
/// share the CA and, here, an empty revocation list, so the chain and signature check is done
/// once per distinct signed catalogue; what depends on the time (expiry, issued in the
/// future) is checked again at each use. Without this a 1000-node run verifies the same
/// catalogue a million times.
public final class VerificationMemo {
    private let verifier: CatalogueVerifier
    private var results: [SHA256Digest: Result<VerifiedCatalogue, CatalogueRejection>] = [:]
    public private(set) var verifications = 0
    public private(set) var hits = 0

    public init(verifier: CatalogueVerifier) {
        self.verifier = verifier
    }

    public static func key(_ signed: SignedCatalogue) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(data: signed.payload)
        hasher.update(data: [0xFF])
        hasher.update(data: signed.signature)
        for certificate in signed.certificateChain {
            hasher.update(data: [0xFE])
            hasher.update(data: certificate)
        }
        return hasher.finalize()
    }

    /// Keys already computed, found by signature and confirmed by comparing the bytes: a
    /// catalogue passed from store to store keeps its byte buffers, so the comparison is
    /// of identical buffers and costs nothing, where hashing costs a SHA-256 over some
    /// kilobytes each time the catalogue is offered, sized or checked.
    private var knownKeys: [[UInt8]: [(payload: [UInt8], chain: [[UInt8]], key: SHA256Digest)]] = [:]

    /// ``key(_:)``, computed once per distinct signed catalogue.
    public func cachedKey(_ signed: SignedCatalogue) -> SHA256Digest {
        if let entries = knownKeys[signed.signature] {
            for entry in entries where entry.payload == signed.payload && entry.chain == signed.certificateChain {
                return entry.key
            }
        }
        let key = Self.key(signed)
        knownKeys[signed.signature, default: []].append((signed.payload, signed.certificateChain, key))
        return key
    }

    public func verify(_ signed: SignedCatalogue, now: Date) throws(CatalogueRejection) -> VerifiedCatalogue {
        let key = cachedKey(signed)
        let result: Result<VerifiedCatalogue, CatalogueRejection>
        if let known = results[key] {
            hits += 1
            result = known
        } else {
            verifications += 1
            do {
                result = .success(try verifier.verify(signed, now: now))
            } catch {
                result = .failure(error)
            }
            results[key] = result
        }
        switch result {
        case .failure(let rejection):
            // Time-dependent refusals may not hold later: verify again next time.
            if rejection.reason == .expired || rejection.reason == .issuedInFuture || rejection.reason == .certificateNotValid {
                results[key] = nil
            }
            throw rejection
        case .success(let verified):
            let catalogue = verified.catalogue
            let nowMilliseconds = UnixMilliseconds.from(now)
            guard nowMilliseconds < catalogue.expiresAtMilliseconds else {
                throw CatalogueRejection(.expired, "catalogue version \(catalogue.version) of \(catalogue.nodeID) has expired")
            }
            guard catalogue.issuedAtMilliseconds <= nowMilliseconds + Int64(verifier.clockSkewAllowanceSeconds * 1000) else {
                throw CatalogueRejection(.issuedInFuture, "catalogue version \(catalogue.version) of \(catalogue.nodeID) is issued in the future")
            }
            return verified
        }
    }
}
