import CoreMetrics
import Gossip
import Transport

/// Brings what already has a count of its own into the metrics at each scrape: the
/// membership view by state, the catalogues held and the own version, the queue depths,
/// and the transport's traffic totals (``MessageStatistics``, ``FrameStatistics``), which
/// the event loop counts without a metrics call per message. Totals become counters by
/// adding what grew since the last scrape, so they stay monotonic.
actor NodeMetricsSampler {
    private let metrics: NodeMetrics
    private let transport: MeshTransport
    private let membership: MembershipShell
    private let catalogues: CatalogueShell
    /// What each total stood at when last added to its counter, by metric name and label set.
    private var exported: [String: Int] = [:]

    init(metrics: NodeMetrics, transport: MeshTransport, membership: MembershipShell, catalogues: CatalogueShell) {
        self.metrics = metrics
        self.transport = transport
        self.membership = membership
        self.catalogues = catalogues
    }

    func sample() async {
        let factory = metrics.factory
        let states = ["alive", "suspect", "dead", "left"]
        var byState = Dictionary(uniqueKeysWithValues: states.map { ($0, 0) })
        for member in await membership.members { byState[NodeRuntime.name(member.status), default: 0] += 1 }
        for (state, count) in byState {
            Gauge(label: NodeMetrics.members, dimensions: [("state", state)], factory: factory).record(count)
        }
        Gauge(label: NodeMetrics.cataloguesHeld, factory: factory).record(await catalogues.catalogues.count)
        if let version = await catalogues.ownVersion {
            Gauge(label: NodeMetrics.ownCatalogueVersion, factory: factory).record(Double(version))
        }
        let inbound = transport.inboundQueueDepth
        Gauge(label: NodeMetrics.inboundQueueMessages, factory: factory).record(inbound.messages)
        Gauge(label: NodeMetrics.inboundQueueBytes, factory: factory).record(inbound.bytes)
        Gauge(label: NodeMetrics.membershipQueueMessages, factory: factory).record(max(0, membership.outboundQueueDepth.current))

        advance(NodeMetrics.inboundDropped, [], to: await transport.droppedInboundMessageCount)
        advance(NodeMetrics.membershipDropped, [], to: await membership.droppedOutboundCount)
        let frames = transport.statistics.snapshot
        advance(NodeMetrics.frames, [("direction", "sent")], to: frames.framesSent)
        advance(NodeMetrics.frames, [("direction", "received")], to: frames.framesReceived)
        advance(NodeMetrics.wireBytes, [("direction", "sent")], to: frames.wireBytesSent)
        advance(NodeMetrics.wireBytes, [("direction", "received")], to: frames.wireBytesReceived)
        // Kinds this build does not know share one label value, so their totals are summed first.
        var byLabel: [String: (direction: String, kind: String, counts: MessageStatistics.Counts)] = [:]
        for (key, counts) in transport.messageStatistics.snapshot {
            let id = key.direction.rawValue + "/" + key.kind.name
            var entry = byLabel[id] ?? (key.direction.rawValue, key.kind.name, MessageStatistics.Counts())
            entry.counts.messages += counts.messages
            entry.counts.bytes += counts.bytes
            byLabel[id] = entry
        }
        for entry in byLabel.values {
            let labels = [("direction", entry.direction), ("kind", entry.kind)]
            advance(NodeMetrics.messages, labels, to: entry.counts.messages)
            advance(NodeMetrics.messageBytes, labels, to: entry.counts.bytes)
        }
    }

    /// Adds to the counter `label` with `dimensions` what `total` grew by since the last scrape.
    private func advance(_ label: String, _ dimensions: [(String, String)], to total: Int) {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        let previous = exported[key] ?? 0
        let counter = Counter(label: label, dimensions: dimensions, factory: metrics.factory)
        if total > previous { counter.increment(by: total - previous) }
        exported[key] = max(previous, total)
    }
}
