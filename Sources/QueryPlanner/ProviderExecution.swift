import Aggregation
import Gossip
import MeshCore

/// A provider's own part of a plan, as the node and the simulator both run it: its policy
/// first (a provider never trusts the origin's reading of it), then the noise it requires,
/// then the admission its shell keeps state for (the privacy ledger's budget and rates),
/// then the executor, with statistic values clamped to the plan's bounds so that the noise
/// the origin adds covers what one person can change (docs/PRIVACY.md, "Noise").
extension QueryPlan {
    /// Why `policy` refuses this plan before anything runs, or nil.
    public func refusal(by policy: CataloguePolicy) -> String? {
        if let reason = policy.refusal(of: query, cellCount: cells.count, researcher: researcher) {
            return reason
        }
        if noiseSigma < policy.noiseSigma {
            return "policy: the plan adds noise of σ \(noiseSigma); this provider requires at least \(policy.noiseSigma)"
        }
        return nil
    }

    /// The privacy loss this provider charges for the plan: nothing when neither it nor the
    /// plan asks for noise (exact release under k alone, by the provider's own choice).
    public func privacyLoss(for policy: CataloguePolicy, schema: Schema) -> Double {
        guard policy.noiseSigma > 0 || noiseSigma > 0 else { return 0 }
        return PrivacyCost.rho(query: query, cellCount: cells.count, sigma: noiseSigma) { schema.attribute(named: $0)?.level }
    }

    /// Runs the provider's part on `snapshot`.
    ///
    /// - Parameters:
    ///   - allowsPlaintextPartials: the provider's own setting; without it a plan without
    ///     secure aggregation is refused, since its partial would reach the parent in the clear.
    ///   - admit: the shell's admission (budget and rates), asked only once the policy
    ///     allows the plan; the refusal reason, or nil to go on.
    public func runLocally(
        on snapshot: ColumnarSnapshot, policy: CataloguePolicy, allowsPlaintextPartials: Bool = false, admit: () -> String?
    ) -> QueryCoordinator.LocalOutcome {
        if let reason = refusal(by: policy) { return .refused(reason) }
        if !secureAggregation, !allowsPlaintextPartials {
            return .refused("policy: this provider answers only under secure aggregation (its plaintext_partials is refuse)")
        }
        if let reason = admit() { return .refused(reason) }
        do {
            let executor = LocalExecutor(snapshot: snapshot, cellLimit: policy.maximumCellsPerQuery, statisticBounds: statisticBounds)
            return .partial(try executor.execute(query))
        } catch {
            return .failed("execution failed: \(error.message)")
        }
    }
}
