import CoreMetrics
import Foundation

/// What a node counts for its operator (`/metrics` on the admin listener), as swift-metrics
/// handles made by one factory: ``DescribedPrometheusFactory`` in `meshnode run`, which
/// alone bootstraps the metrics system; ``discarding`` in the in-process tests. The shells
/// record where each event happens (``MembershipShell``, ``QueryShell``); what already has
/// a count of its own (the transport's statistics, the queues, the membership view, the
/// catalogue store) is sampled at each scrape by ``NodeMetricsSampler``. The pure cores
/// know nothing of metrics: the shells record from the actions the cores return.
///
/// Names follow the Prometheus conventions: the `oncomesh_` prefix, the unit in the name
/// (`_seconds`, `_bytes`), `_total` on counters, a bounded set of label values.
final class NodeMetrics: Sendable {
    /// Metrics that go nowhere, for shells run without an admin listener.
    static let discarding = NodeMetrics(factory: NOOPMetricsHandler.instance)

    /// Buckets of the query latency histogram: a query on loopback takes about 0.1 s, over
    /// a WAN a few tenths, and the longest allowed timeout is 60 s.
    static let queryDurationBuckets: [Duration] = [
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    // Metric names, one place for the code and the help text.
    static let members = "oncomesh_members"
    static let probesSent = "oncomesh_swim_probes_sent_total"
    static let suspicions = "oncomesh_swim_suspicions_total"
    static let messages = "oncomesh_messages_total"
    static let messageBytes = "oncomesh_message_bytes_total"
    static let frames = "oncomesh_transport_frames_total"
    static let wireBytes = "oncomesh_transport_wire_bytes_total"
    static let inboundQueueMessages = "oncomesh_inbound_queue_messages"
    static let inboundQueueBytes = "oncomesh_inbound_queue_bytes"
    static let inboundDropped = "oncomesh_inbound_messages_dropped_total"
    static let membershipQueueMessages = "oncomesh_membership_send_queue_messages"
    static let membershipDropped = "oncomesh_membership_messages_dropped_total"
    static let cataloguesHeld = "oncomesh_catalogues_held"
    static let ownCatalogueVersion = "oncomesh_catalogue_own_version"
    static let plansReceived = "oncomesh_plans_received_total"
    static let plansExecuted = "oncomesh_plans_executed_total"
    static let plansRefused = "oncomesh_plans_refused_total"
    static let plansFailed = "oncomesh_plans_failed_total"
    static let queries = "oncomesh_queries_total"
    static let queryDuration = "oncomesh_query_duration_seconds"
    static let partialBytesSent = "oncomesh_partial_bytes_sent_total"
    static let auditRows = "oncomesh_audit_rows_written_total"

    /// The `# HELP` text of each metric.
    static let help: [String: String] = [
        members: "Members of this node's membership view by state, this node included.",
        probesSent: "SWIM probes this node sent: direct pings and indirect ping requests.",
        suspicions: "Members that turned suspect in this node's membership view.",
        messages: "Mesh messages by direction and kind (membership is gossip, catalogue_digest and catalogue_pull are anti-entropy).",
        messageBytes: "Bytes of mesh messages by direction and kind, encoded, before compression and TLS.",
        frames: "Transport frames by direction.",
        wireBytes: "Transport frame bytes by direction, after compression, before TLS.",
        inboundQueueMessages: "Messages from peers received and not yet handled (bounded by load.inbound_queue_max_messages).",
        inboundQueueBytes: "Body bytes of the messages in the inbound queue (bounded by load.inbound_queue_max_bytes).",
        inboundDropped: "Messages from peers refused because the inbound queue was full.",
        membershipQueueMessages: "Membership messages waiting to be sent.",
        membershipDropped: "Membership messages dropped because the send queue was full.",
        cataloguesHeld: "Verified catalogues this node holds, its own included.",
        ownCatalogueVersion: "The version of this node's own catalogue (Unix milliseconds of its signing, or later).",
        plansReceived: "Query plans received from other nodes.",
        plansExecuted: "Query plans this node executed on its site data.",
        plansRefused: "Query plans this node refused, by reason (busy, an admission check, or its policy, budget or rates).",
        plansFailed: "Query plans this node admitted but could not execute.",
        queries: "Researchers' queries at this node as origin, by outcome (released, refused, failed).",
        queryDuration: "Time from a researcher's query reaching this node as origin to its result, in seconds.",
        partialBytesSent: "Bytes of subtree results (masked partials and reveals) this node sent to its parent.",
        auditRows: "Rows appended to the audit log, by kind (plan, submission).",
    ]

    let factory: any MetricsFactory

    let probesDirect: Counter
    let probesIndirect: Counter
    let suspicionsRaised: Counter
    let plansReceivedCount: Counter
    let plansExecutedCount: Counter
    let plansFailedCount: Counter
    let partialBytes: Counter
    let queryLatency: CoreMetrics.Timer

    init(factory: any MetricsFactory) {
        self.factory = factory
        probesDirect = Counter(label: Self.probesSent, dimensions: [("kind", "direct")], factory: factory)
        probesIndirect = Counter(label: Self.probesSent, dimensions: [("kind", "indirect")], factory: factory)
        suspicionsRaised = Counter(label: Self.suspicions, factory: factory)
        plansReceivedCount = Counter(label: Self.plansReceived, factory: factory)
        plansExecutedCount = Counter(label: Self.plansExecuted, factory: factory)
        plansFailedCount = Counter(label: Self.plansFailed, factory: factory)
        partialBytes = Counter(label: Self.partialBytesSent, factory: factory)
        queryLatency = CoreMetrics.Timer(label: Self.queryDuration, factory: factory)
        // Series that exist from the start, at zero, so that rates and alerts see them.
        for outcome in QueryOutcome.allCases { _ = Counter(label: Self.queries, dimensions: [("outcome", outcome.rawValue)], factory: factory) }
        for kind in ["plan", "submission"] { _ = Counter(label: Self.auditRows, dimensions: [("kind", kind)], factory: factory) }
    }

    /// Why a provider refused a plan at its own checks, from its refusal text
    /// (`budget: ...`, `rate: ...`, `policy: ...`): the text names researchers and numbers,
    /// which must not become label values.
    static func localRefusalReason(_ text: String) -> String {
        let prefix = String(text.prefix { $0 != ":" })
        return ["budget", "rate", "policy"].contains(prefix) ? prefix : "policy"
    }

    /// A plan refused: `reason` is `busy`, an admission check's code (``QueryPlanRejection/Code``:
    /// `deadline`, `duplicate`, `notMember`, ...) or ``localRefusalReason(_:)``; all from fixed sets.
    func planRefused(reason: String) {
        Counter(label: Self.plansRefused, dimensions: [("reason", reason)], factory: factory).increment()
    }

    enum QueryOutcome: String, CaseIterable {
        case released, refused, failed
    }

    /// A researcher's query at this origin ended; `duration` is set once it was planned.
    func queryEnded(_ outcome: QueryOutcome, after duration: Duration? = nil) {
        Counter(label: Self.queries, dimensions: [("outcome", outcome.rawValue)], factory: factory).increment()
        if let duration { queryLatency.recordNanoseconds(duration.nanosecondsClamped) }
    }

    func auditRowWritten(kind: String) {
        Counter(label: Self.auditRows, dimensions: [("kind", kind)], factory: factory).increment()
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to Int64 (what swift-metrics timers take).
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        return product.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
