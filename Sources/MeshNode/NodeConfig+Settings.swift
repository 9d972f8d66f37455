import Gossip
import MeshCore

/// What the node's cores take from its configuration file.
extension NodeConfig {
    /// The policy as the catalogue publishes it.
    var cataloguePolicy: CataloguePolicy {
        CataloguePolicy(
            minimumCellSize: policy.k,
            allowedQueryKinds: Set(policy.allowedQueryKinds.compactMap(CataloguePolicy.QueryKind.init(rawValue:))),
            maximumCellsPerQuery: policy.maxCells,
            allowedResearchers: policy.allowedResearchers.map { Set($0.compactMap { try? ResearcherID($0) }) },
            noiseSigma: policy.noiseSigma
        )
    }

    /// SWIM settings: the defaults with the file's overrides.
    var swimSettings: SWIMSettings {
        var settings = SWIMSettings()
        if let value = gossip.probeIntervalMilliseconds { settings.probeInterval = .milliseconds(value) }
        if let value = gossip.pingTimeoutMilliseconds { settings.pingTimeout = .milliseconds(value) }
        if let value = gossip.indirectProbes { settings.indirectProbeCount = value }
        if let value = gossip.pushPullIntervalMilliseconds { settings.pushPullInterval = .milliseconds(value) }
        if let value = gossip.gossipIntervalMilliseconds { settings.gossipInterval = .milliseconds(value) }
        if let value = gossip.gossipFanout { settings.gossipFanout = value }
        return settings
    }
}
