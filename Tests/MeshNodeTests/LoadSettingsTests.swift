@testable import MeshNode
import Testing

/// The load section of node.yaml: the bounds on a node's query work reach the query shell,
/// the parser and the transport, survive a rewrite, and mistakes name the file and line.
@Suite struct LoadSettingsTests {
    static func text(_ lines: [String]) -> String {
        MinimalNodeConfig.text(section: "load", lines)
    }

    @Test func loadSettingsReachTheirConsumersAndSurviveARewrite() throws {
        let config = try NodeConfig.parse(
            Self.text([
                "max_concurrent_plans: 8", "max_concurrent_submissions: 6", "max_concurrent_submissions_per_researcher: 2", "seen_queries_per_origin: 500",
                "busy_retry_after_ms: 250", "max_query_text_bytes: 4096", "max_parse_depth: 16", "inbound_queue_max_messages: 128",
                "inbound_queue_max_bytes: 134217728",
            ]), file: "node.yaml")
        #expect(config.load.queries.maxConcurrentPlans == 8)
        #expect(config.load.queries.maxConcurrentSubmissions == 6)
        #expect(config.load.queries.maxConcurrentSubmissionsPerResearcher == 2)
        #expect(config.load.queries.seenQueriesPerOrigin == 500)
        #expect(config.load.queries.busyRetryAfterMilliseconds == 250)
        #expect(config.load.parser.textBytes == 4096 && config.load.parser.nesting == 16)
        let transport = config.load.transportSettings
        #expect(transport.inboundQueueMaxMessages == 128 && transport.inboundQueueMaxBytes == 134_217_728)
        #expect(transport.busyRetryAfter == .milliseconds(250))
        let again = try NodeConfig.parse(config.yaml(), file: "node.yaml")
        #expect(again.load == config.load)
    }

    /// A node without the section runs with the defaults, and `meshnode init` writes them
    /// out so that an operator sees what there is to set.
    @Test func defaultsAreWrittenOut() throws {
        let config = try NodeConfig.parse(MinimalNodeConfig.text(section: "gossip", ["gossip_fanout: 3"]), file: "node.yaml")
        #expect(config.load == LoadSettings())
        let yaml = config.yaml()
        #expect(yaml.contains("load:\n  max_concurrent_plans: 64\n"))
        #expect(yaml.contains("  inbound_queue_max_bytes: 268435456\n"))
    }

    @Test func mistakesAreNamedWithTheirLine() {
        let unknown = #expect(throws: ConfigError.self) { try NodeConfig.parse(Self.text(["max_concurrent_plans: 8", "max_plans: 3"]), file: "node.yaml") }
        #expect(unknown?.line == 9)
        #expect(unknown?.message.contains("unknown load setting 'max_plans'") == true)
        let text = #expect(throws: ConfigError.self) { try NodeConfig.parse(Self.text(["max_concurrent_plans: many"]), file: "node.yaml") }
        #expect(text?.line == 8)
        #expect(text?.message == "load.max_concurrent_plans must be a whole number; got 'many'")
        let zero = #expect(throws: ConfigError.self) { try NodeConfig.parse(Self.text(["max_concurrent_plans: 0"]), file: "node.yaml") }
        #expect(zero?.message == "load: max_concurrent_plans must be at least 1; got 0")
        let deep = #expect(throws: ConfigError.self) { try NodeConfig.parse(Self.text(["max_parse_depth: 65"]), file: "node.yaml") }
        #expect(deep?.message == "load: max_parse_depth must be from 1 to 64; got 65")
        let small = #expect(throws: ConfigError.self) { try NodeConfig.parse(Self.text(["inbound_queue_max_bytes: 1000"]), file: "node.yaml") }
        #expect(small?.message.contains("inbound_queue_max_bytes must be from 67108864 (the largest message)") == true)
        let list = #expect(throws: ConfigError.self) { try NodeConfig.parse(MinimalNodeConfig.text(section: "load", []), file: "node.yaml") }
        #expect(list?.message == "load must be a mapping")
    }
}
