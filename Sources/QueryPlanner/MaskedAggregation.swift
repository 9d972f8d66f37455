import Aggregation
import Crypto
import MeshCore
import SecureAggregation

/// Secure aggregation over one plan's tree (docs/PRIVACY.md, "Secure aggregation"): the
/// steps a provider and the origin take, as pure functions with randomness as an input,
/// driven alike by the node's shell and by the simulator.
///
/// 1. First round, down with the plan and up with the answers: each target encodes its
///    partial in the plan's ring layout (``PartialRingEncoding``), masks it
///    (``SecureAggregationParticipant``) and answers with the masked vector and its
///    encrypted self-mask shares. Interior nodes add vectors; nobody sees a site's partial.
/// 2. The origin fixes the responders (the nodes whose vectors are in the sum) and sends
///    the signed list straight to every target, each with the shares it holds
///    (``UnmaskRequest``, over the star ``QueryPlan/unmaskTree``).
/// 3. Unmasking round: each target reveals, sealed to the origin, the self-mask shares of
///    its answering neighbours and its pairwise seeds with the dropped ones
///    (``SecureAggregationHolder``); the origin removes the masks and decodes the exact sum
///    of the responders' partials, to which the release rules then apply.
public struct MaskedAggregation: Sendable {
    public let plan: QueryPlan
    public let graph: MaskingGraph
    public let encoding: PartialRingEncoding

    public init(plan: QueryPlan) {
        self.plan = plan
        self.graph = MaskingGraph(queryID: plan.queryID.bytes, participants: plan.targets)
        self.encoding = PartialRingEncoding(plan: plan)
    }

    // MARK: Provider

    /// A provider's first-round answer: its partial masked, with its encrypted shares; or a
    /// failure that names why (the provider then counts as dropped).
    ///
    /// - Parameters:
    ///   - publicKeys: long-term X25519 keys from the verified catalogues.
    ///   - cache: the node's agreements with its peers, kept across queries (the other
    ///     steps take it too).
    public func contribute(
        _ partial: QueryPartial, node: NodeID, longTermKey: Curve25519.KeyAgreement.PrivateKey, publicKeys: [NodeID: [UInt8]],
        cache: AgreementCache? = nil, random: inout some RandomNumberGenerator
    ) -> QueryCoordinator.LocalOutcome {
        if let stranger = partial.cells.keys.first(where: { !plan.cells.contains($0) }) {
            return .failed("secure aggregation: the local partial has the cell \(stranger), which the plan does not enumerate")
        }
        do throws(SecureAggregationError) {
            let participant = try SecureAggregationParticipant(
                node: node, queryID: plan.queryID.bytes, graph: graph, longTermKey: longTermKey, neighbourKeys: publicKeys, cache: cache,
                random: &random
            )
            let contribution = try participant.contribute(encoding.encode(partial), random: &random)
            let shares = Dictionary(uniqueKeysWithValues: contribution.shares.map { (SubtreeResult.ShareRoute(sender: node, holder: $0.key), $0.value) })
            return .masked(contribution.masked, shares: shares)
        } catch {
            return .failed("secure aggregation: \(error.message)")
        }
    }

    /// A target's answer in the unmasking round, sealed to the origin.
    ///
    /// - Parameter shares: the request's shares; those addressed to `node` are used.
    public func reveal(
        responders: Set<NodeID>, shares: [SubtreeResult.ShareRoute: [UInt8]], node: NodeID, longTermKey: Curve25519.KeyAgreement.PrivateKey,
        publicKeys: [NodeID: [UInt8]], cache: AgreementCache? = nil, random: inout some RandomNumberGenerator
    ) -> QueryCoordinator.LocalOutcome {
        guard let originKey = publicKeys[plan.origin] else {
            return .failed("secure aggregation: no X25519 key of the origin \(plan.origin) in its catalogue here")
        }
        let addressed = Dictionary(shares.filter { $0.key.holder == node }.map { ($0.key.sender, $0.value) }, uniquingKeysWith: { first, _ in first })
        let request = SecureAggregationUnmasker(graph: graph).request(responders: responders)
        do throws(SecureAggregationError) {
            let revealed = try SecureAggregationHolder.reveal(
                request, holder: node, queryID: plan.queryID.bytes, graph: graph, longTermKey: longTermKey, publicKeys: publicKeys, shares: addressed,
                cache: cache
            )
            let sealed = try SecureAggregationHolder.seal(
                revealed, holder: node, origin: plan.origin, queryID: plan.queryID.bytes, longTermKey: longTermKey, originKey: originKey, cache: cache,
                random: &random
            )
            return .revealed(sealed)
        } catch {
            return .failed("secure aggregation: \(error.message)")
        }
    }

    // MARK: Origin

    /// The header and shares of the unmasking round after the first round's result; nil
    /// when no target answered (there is nothing to unmask).
    public func unmaskRequest(after first: SubtreeResult) -> (header: UnmaskRequest.Header, shares: [SubtreeResult.ShareRoute: [UInt8]])? {
        let responders = first.coverage.answered.intersection(plan.targets)
        guard !responders.isEmpty else { return nil }
        // Only the responders' shares matter: a dropped node's self mask is not in the sum.
        let shares = first.shares.filter { responders.contains($0.key.sender) }
        return (UnmaskRequest.Header(queryID: plan.queryID, responders: responders), shares)
    }

    /// The origin's last step: opens what the holders revealed, removes the masks and
    /// decodes the sum. The result carries the first round's coverage with the exact
    /// partial of its answered nodes, ready for release. An error names the cause; a
    /// holder whose reveal does not open is left out, which only matters if the threshold
    /// then fails.
    public func unmask(
        first: SubtreeResult, second: SubtreeResult, origin: NodeID, longTermKey: Curve25519.KeyAgreement.PrivateKey, publicKeys: [NodeID: [UInt8]],
        cache: AgreementCache? = nil
    ) throws(SecureAggregationError) -> SubtreeResult {
        var result = first
        result.shares = [:]
        result.maskedSum = nil
        let responders = first.coverage.answered.intersection(plan.targets)
        guard !responders.isEmpty else {
            result.partial = nil
            return result
        }
        guard let sum = first.maskedSum, sum.count == encoding.length else {
            throw SecureAggregationError("the first round brought no masked sum of \(encoding.length) elements although \(responders.count) targets answered")
        }
        var revealed: [NodeID: SecureAggregationHolder.Revealed] = [:]
        var unreadable: [NodeID] = []
        for (holder, sealed) in second.reveals where graph.contains(holder) {
            guard let holderKey = publicKeys[holder],
                let opened = try? SecureAggregationHolder.open(
                    sealed, holder: holder, origin: origin, queryID: plan.queryID.bytes, longTermKey: longTermKey, holderKey: holderKey, cache: cache
                )
            else {
                unreadable.append(holder)
                continue
            }
            revealed[holder] = opened
        }
        let unmasked: RingVector
        do {
            unmasked = try SecureAggregationUnmasker(graph: graph).unmask(sum: sum, responders: responders, revealed: revealed)
        } catch {
            let silent = Set(plan.targets).subtracting(second.coverage.answered).sorted().map(\.rawValue)
            var detail = error.message
            if !silent.isEmpty { detail += "; no reveal from \(silent.joined(separator: ", "))" }
            if !unreadable.isEmpty { detail += "; unreadable reveals from \(unreadable.sorted().map(\.rawValue).joined(separator: ", "))" }
            throw SecureAggregationError(detail, nodes: error.nodes)
        }
        let partial: QueryPartial
        do {
            partial = try encoding.decode(unmasked)
        } catch {
            throw SecureAggregationError("the unmasked sum is not a sum of honest partials: \(error.message) (a provider or holder sent wrong values)")
        }
        // No parent could read the vectors, so the limits every parent checks in the
        // plaintext tree apply here to the total.
        let countLimit = PartialLimits.maximumCount.multipliedReportingOverflow(by: Int64(responders.count))
        for (key, cell) in partial.cells.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            if let problem = PartialLimits.problem(
                with: cell, attributes: plan.query.statisticAttributes, bounds: plan.statisticBounds,
                countLimit: countLimit.overflow ? Int64.max : countLimit.partialValue
            ) {
                throw SecureAggregationError("the unmasked sum is not a sum of honest partials: its cell \(key) \(problem) (a provider or holder sent wrong values)")
            }
        }
        result.partial = partial
        return result
    }
}
