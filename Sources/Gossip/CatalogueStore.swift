import Foundation
import MeshCore
import X509

/// The newest verified catalogue of every node, and the digest anti-entropy over them
/// (docs/ARCHITECTURE.md, "Gossip": peers exchange digests of (node ID, version) and pull what is newer).
///
/// A pure state machine (docs/ARCHITECTURE.md, "Code structure: pure cores and thin shells"): no I/O, `now` is an input, every call returns
/// what happened so the shell can log and count it. One round with a peer:
///
/// 1. send ``digest()``; on receiving the peer's, ask it for ``missing(from:)``;
/// 2. ``offer(_:now:)`` every signed catalogue it returns (and forward accepted ones as-is);
/// 3. on a timer, ``expire(now:)``; on a new revocation list, ``adopt(revocations:)``.
public struct CatalogueStore: Sendable {
    public private(set) var verifier: CatalogueVerifier
    private var held: [NodeID: VerifiedCatalogue] = [:]
    /// The version of every held catalogue: what a digest or an announcement is compared
    /// against, without copying the catalogue out of `held`.
    private var versions: [NodeID: UInt64] = [:]
    /// ``digest()``, kept in node ID order as catalogues come and go (a binary search per
    /// change) instead of sorted for every anti-entropy round.
    private var ordered: [CatalogueDigestEntry] = []
    /// No held catalogue expires before this (Unix milliseconds): a lower bound, lowered on
    /// every accepted catalogue and made exact by each scan, so that ``expire(now:)`` only
    /// scans the store when something may have expired.
    private var earliestExpiry: Int64 = .max
    /// Every refused offer, by reason, since the store was made.
    public private(set) var rejections: [CatalogueRejection.Reason: Int] = [:]

    public init(verifier: CatalogueVerifier) {
        self.verifier = verifier
    }

    /// What ``offer(_:now:)`` did.
    public enum OfferOutcome: Sendable, Equatable {
        /// Stored; `replacedVersion` is the version it superseded, nil for a new node.
        case accepted(node: NodeID, version: UInt64, replacedVersion: UInt64?)
        case rejected(CatalogueRejection)
    }

    public func catalogue(of node: NodeID) -> VerifiedCatalogue? { held[node] }

    /// How many catalogues are held.
    public var count: Int { versions.count }

    /// The version of the catalogue held for `node`, nil if none.
    public func version(of node: NodeID) -> UInt64? { versions[node] }

    /// The version held of every node's catalogue. For a caller that looks up many versions
    /// while it mutates something else of its own: holding this map costs one reference,
    /// holding a copy of the whole store one per part of it.
    public var heldVersions: [NodeID: UInt64] { versions }

    /// All held catalogues, ordered by node ID.
    public var catalogues: [VerifiedCatalogue] {
        held.keys.sorted().map { held[$0]! }
    }

    /// (node ID, version) of every catalogue held, ordered by node ID.
    public func digest() -> [CatalogueDigestEntry] {
        ordered
    }

    /// The nodes whose catalogue the peer holds in a newer version than we do (or we lack):
    /// what to pull from it. Ordered by node ID.
    public func missing(from remoteDigest: [CatalogueDigestEntry]) -> [NodeID] {
        var newest: [NodeID: UInt64] = [:]
        for entry in remoteDigest {
            newest[entry.nodeID] = max(newest[entry.nodeID] ?? 0, entry.version)
        }
        return newest.filter { node, version in
            guard let ours = held[node] else { return true }
            return version > ours.catalogue.version
        }.keys.sorted()
    }

    /// Verifies `signed` and keeps it if its version is strictly newer than the one held.
    public mutating func offer(_ signed: SignedCatalogue, now: Date) -> OfferOutcome {
        let verifier = self.verifier
        return offer(signed, now: now) { (signed) throws(CatalogueRejection) in try verifier.verify(signed, now: now) }
    }

    /// ``offer(_:now:)`` with the signature check done by `verify`, which must give the same
    /// answer as ``verifier`` for `now`. For a caller that checks the same signed bytes many
    /// times (a simulator running a thousand stores in one process) and memoises the pure
    /// result; the version rule and the rejection counts stay the store's.
    public mutating func offer(
        _ signed: SignedCatalogue,
        now: Date,
        verify: (SignedCatalogue) throws(CatalogueRejection) -> VerifiedCatalogue
    ) -> OfferOutcome {
        let verified: VerifiedCatalogue
        do {
            verified = try verify(signed)
        } catch {
            return reject(error)
        }
        let node = verified.catalogue.nodeID
        let previous = held[node]?.catalogue.version
        if let previous, verified.catalogue.version <= previous {
            return reject(
                CatalogueRejection(.staleVersion, "catalogue version \(verified.catalogue.version) of \(node) is not newer than the held version \(previous)")
            )
        }
        held[node] = verified
        versions[node] = verified.catalogue.version
        let entry = CatalogueDigestEntry(nodeID: node, version: verified.catalogue.version)
        let position = ordered.sortedInsertionIndex(of: node, key: \.nodeID)
        if previous == nil { ordered.insert(entry, at: position) } else { ordered[position] = entry }
        earliestExpiry = min(earliestExpiry, verified.catalogue.expiresAtMilliseconds)
        return .accepted(node: node, version: verified.catalogue.version, replacedVersion: previous)
    }

    /// Forgets a node's catalogue (it left, or its data must no longer be planned against).
    @discardableResult
    public mutating func drop(node: NodeID) -> Bool {
        guard held.removeValue(forKey: node) != nil else { return false }
        forget([node])
        return true
    }

    /// Forgets every catalogue signed by the certificate with this serial; returns the nodes.
    @discardableResult
    public mutating func drop(signerSerial serial: Certificate.SerialNumber) -> [NodeID] {
        let normalised = serial.normalised
        let nodes = held.filter { $0.value.signerSerial.normalised == normalised }.keys.sorted()
        for node in nodes { held[node] = nil }
        forget(nodes)
        return nodes
    }

    /// Forgets catalogues past their expiry; returns the nodes, so the shell can log that
    /// their owners stopped re-signing.
    @discardableResult
    public mutating func expire(now: Date) -> [NodeID] {
        guard UnixMilliseconds.from(now) >= earliestExpiry else { return [] }
        let nodes = held.filter { $0.value.catalogue.isExpired(at: now) }.keys.sorted()
        for node in nodes { held[node] = nil }
        forget(nodes)
        earliestExpiry = held.values.lazy.map(\.catalogue.expiresAtMilliseconds).min() ?? .max
        return nodes
    }

    /// Verifies a revocation list against the federation CA and, if it is newer than the
    /// one in force, uses it from now on and drops the catalogues signed by newly revoked
    /// certificates. Returns the dropped nodes; an older or equal list changes nothing.
    @discardableResult
    public mutating func adopt(revocations signed: SignedRevocationList) throws(RevocationListError) -> [NodeID] {
        let list = try signed.verify(caCertificate: verifier.chain.caCertificate)
        guard list.supersedes(verifier.revocations) else { return [] }
        verifier.revocations = list
        let nodes = held.filter { list.contains($0.value.signerSerial) }.keys.sorted()
        for node in nodes { held[node] = nil }
        forget(nodes)
        return nodes
    }

    /// Removes dropped catalogues from `versions` and `ordered` (rare: expiry, revocation).
    private mutating func forget(_ nodes: [NodeID]) {
        guard !nodes.isEmpty else { return }
        for node in nodes { versions[node] = nil }
        ordered.removeAll { versions[$0.nodeID] == nil }
    }

    private mutating func reject(_ rejection: CatalogueRejection) -> OfferOutcome {
        rejections[rejection.reason, default: 0] += 1
        return .rejected(rejection)
    }
}
