import QueryPlanner
import Transport
import Yams

/// The `load` section of node.yaml: how much work the node takes on at once, so that a
/// burst of researchers or a flooding member gets busy answers with a retry hint rather
/// than a node that queues without end. Every value is checked when the node starts.
///
/// ```yaml
/// load:
///   max_concurrent_plans: 64
///   max_concurrent_submissions: 32
///   max_concurrent_submissions_per_researcher: 4
///   seen_queries_per_origin: 10000
///   busy_retry_after_ms: 1000
///   max_query_text_bytes: 262144
///   max_parse_depth: 64
///   inbound_queue_max_messages: 4096
///   inbound_queue_max_bytes: 268435456
/// ```
struct LoadSettings: Equatable {
    var queries = QueryLoadLimits()
    var parser = QueryParser.Limits.maximum
    var inboundQueueMaxMessages = TransportSettings().inboundQueueMaxMessages
    var inboundQueueMaxBytes = TransportSettings().inboundQueueMaxBytes

    static let keys = [
        "max_concurrent_plans", "max_concurrent_submissions", "max_concurrent_submissions_per_researcher", "seen_queries_per_origin",
        "busy_retry_after_ms", "max_query_text_bytes", "max_parse_depth", "inbound_queue_max_messages", "inbound_queue_max_bytes",
    ]

    /// The transport settings these limits give.
    var transportSettings: TransportSettings {
        var settings = TransportSettings()
        settings.inboundQueueMaxMessages = inboundQueueMaxMessages
        settings.inboundQueueMaxBytes = inboundQueueMaxBytes
        settings.busyRetryAfter = .milliseconds(queries.busyRetryAfterMilliseconds)
        return settings
    }

    /// Reads the section; an unknown key, a value that is not a whole number, or limits
    /// that cannot run are errors naming the file and line.
    init(parsing node: Node, file: String) throws(ConfigError) {
        guard let mapping = node.mapping else {
            throw ConfigError(file: file, line: node.mark?.line, "load must be a mapping")
        }
        for (key, value) in mapping {
            let name = key.string ?? "?"
            guard Self.keys.contains(name) else {
                throw ConfigError(file: file, line: key.mark?.line, "unknown load setting '\(name)'; known: \(Self.keys.joined(separator: ", "))")
            }
            guard let number = value.int else {
                throw ConfigError(file: file, line: value.mark?.line, "load.\(name) must be a whole number; got '\(value.string ?? "?")'")
            }
            switch name {
            case "max_concurrent_plans": queries.maxConcurrentPlans = number
            case "max_concurrent_submissions": queries.maxConcurrentSubmissions = number
            case "max_concurrent_submissions_per_researcher": queries.maxConcurrentSubmissionsPerResearcher = number
            case "seen_queries_per_origin": queries.seenQueriesPerOrigin = number
            case "busy_retry_after_ms": queries.busyRetryAfterMilliseconds = Int64(number)
            case "max_query_text_bytes": parser.textBytes = number
            case "max_parse_depth": parser.nesting = number
            case "inbound_queue_max_messages": inboundQueueMaxMessages = number
            default: inboundQueueMaxBytes = number
            }
        }
        if let problem = problem() {
            throw ConfigError(file: file, line: node.mark?.line, "load: \(problem)")
        }
    }

    init() {}

    /// Why these settings cannot run, naming the setting; nil when they can.
    func problem() -> String? {
        if let problem = queries.problem() ?? parser.problem() { return problem }
        if inboundQueueMaxMessages < 16 || inboundQueueMaxMessages > 1_000_000 {
            return "inbound_queue_max_messages must be from 16 to 1000000; got \(inboundQueueMaxMessages)"
        }
        // The queue must hold at least one message of the largest size the transport accepts.
        let message = TransportSettings().frame.decompressedSizeMaxBytes
        if inboundQueueMaxBytes < message || inboundQueueMaxBytes > 1 << 34 {
            return "inbound_queue_max_bytes must be from \(message) (the largest message) to \(1 << 34); got \(inboundQueueMaxBytes)"
        }
        return nil
    }

    /// The section as `meshnode init` writes it.
    func yamlLines() -> [String] {
        [
            "load:",
            "  max_concurrent_plans: \(queries.maxConcurrentPlans)",
            "  max_concurrent_submissions: \(queries.maxConcurrentSubmissions)",
            "  max_concurrent_submissions_per_researcher: \(queries.maxConcurrentSubmissionsPerResearcher)",
            "  seen_queries_per_origin: \(queries.seenQueriesPerOrigin)",
            "  busy_retry_after_ms: \(queries.busyRetryAfterMilliseconds)",
            "  max_query_text_bytes: \(parser.textBytes)",
            "  max_parse_depth: \(parser.nesting)",
            "  inbound_queue_max_messages: \(inboundQueueMaxMessages)",
            "  inbound_queue_max_bytes: \(inboundQueueMaxBytes)",
        ]
    }
}
