import Foundation
import Gossip
import MeshCore
import X509

/// A compromised peer that offers catalogues no node may accept: a tampered payload under
/// the owner's old signature, a catalogue for one node signed with another node's key, an
/// expired catalogue, and a replay of a version the receiver already holds or has superseded.
extension Simulator {
    public enum Forgery: String, CaseIterable, Sendable {
        case tampered, impostor, expired, replay

        var expectedReason: CatalogueRejection.Reason {
            switch self {
            case .tampered: .badSignature
            case .impostor: .nodeIDMismatch
            case .expired: .expired
            case .replay: .staleVersion
            }
        }
    }

    /// Offers one forgery of each kind to a random started node, about a random other node
    /// whose catalogue it holds, and records a violation unless the store refuses it for the
    /// expected reason.
    public func injectForgeries() throws {
        let candidates = nodes.indices.filter { nodes[$0].isUp && nodes[$0].started }
        guard candidates.count >= 2 else { return }
        for forgery in Forgery.allCases {
            let receiver = candidates[draw(below: candidates.count)]
            let heldOwners = nodes[receiver].store.digest().compactMap { index(of: $0.nodeID) }.filter { $0 != receiver }
            guard !heldOwners.isEmpty else { continue }
            let owner = heldOwners[draw(below: heldOwners.count)]
            let held = nodes[receiver].store.catalogue(of: nodes[owner].id)!
            let signed: SignedCatalogue
            switch forgery {
            case .tampered:
                var catalogue = held.catalogue
                catalogue.version += 1000
                catalogue.policy.minimumCellSize = 1
                signed = SignedCatalogue(payload: catalogue.encoded(), signature: held.signed.signature, certificateChain: held.signed.certificateChain)
            case .impostor:
                var catalogue = held.catalogue
                catalogue.version += 1000
                let other = (owner + 1 + draw(below: nodes.count - 1)) % nodes.count
                let payload = catalogue.encoded()
                let signature = try federation.credentials[other].privateKey.sign(
                    bytes: SignedCatalogue.signingContext + payload, signatureAlgorithm: .ecdsaWithSHA256)
                let chain = published[other]?.values.first?.certificateChain ?? []
                signed = SignedCatalogue(payload: payload, signature: signature.rawRepresentation, certificateChain: chain)
            case .expired:
                let old = SimulatedFederation.epoch.addingTimeInterval(-3 * 24 * 3600)
                var catalogue = try SimulatedCatalogue.catalogue(node: nodes[owner].id, index: owner, version: held.catalogue.version + 2000, now: old, minimumCellSize: 1)
                catalogue.version = held.catalogue.version + 2000
                signed = try nodes[owner].signer.sign(catalogue)
            case .replay:
                let versions = published[owner]?.keys.sorted() ?? []
                guard let oldest = versions.first, oldest <= held.catalogue.version else { continue }
                signed = published[owner]![oldest]!
            }
            if forgery != .replay { forgedKeys.insert(memo.cachedKey(signed)) }
            injectedOffers += 1
            let outcome = offer(signed, to: receiver, via: nodes[owner].id)
            switch outcome {
            case .accepted(let node, let version, _):
                recordViolation("node \(receiver) accepted a \(forgery.rawValue) catalogue of \(node) version \(version)")
            case .rejected(let rejection):
                injectedRejections[rejection.reason, default: 0] += 1
                log.append(now, "byzantine \(forgery.rawValue) node=\(receiver) owner=\(owner) rejected=\(rejection.reason.rawValue)")
                if rejection.reason != forgery.expectedReason {
                    recordViolation("node \(receiver) refused a \(forgery.rawValue) catalogue for \(rejection.reason.rawValue), expected \(forgery.expectedReason.rawValue)")
                }
            }
        }
    }
}
