@testable import MeshNode
import Testing

/// The gossip section of node.yaml: overrides reach the SWIM settings, survive a rewrite,
/// and mistakes are refused with the file, the line and the rule broken.
@Suite struct NodeConfigTests {
    static func text(gossip: [String]) -> String {
        MinimalNodeConfig.text(section: "gossip", gossip)
    }

    @Test func gossipOverridesReachTheSettingsAndSurviveARewrite() throws {
        let config = try NodeConfig.parse(Self.text(gossip: ["probe_interval_ms: 400", "ping_timeout_ms: 150", "gossip_interval_ms: 100", "gossip_fanout: 4"]), file: "node.yaml")
        let settings = config.swimSettings
        #expect(settings.probeInterval == .milliseconds(400))
        #expect(settings.pingTimeout == .milliseconds(150))
        #expect(settings.gossipInterval == .milliseconds(100))
        #expect(settings.gossipFanout == 4)
        let again = try NodeConfig.parse(config.yaml(), file: "node.yaml")
        #expect(again.gossip == config.gossip)
    }

    @Test func unknownGossipSettingIsNamedWithItsLine() {
        let error = #expect(throws: ConfigError.self) { try NodeConfig.parse(Self.text(gossip: ["gossip_fanout: 3", "gossip_rate: 5"]), file: "node.yaml") }
        #expect(error?.line == 9)
        #expect(error?.message.contains("unknown gossip setting 'gossip_rate'") == true)
        #expect(error?.message.contains("gossip_interval_ms") == true)
    }

    /// Found by fuzzing the loader (make fuzz, FuzzConfig): this listen address was
    /// accepted, and the node's own rewrite of the file was then refused.
    @Test func aListenAddressThatIsNoHostIsRefusedWithItsLine() {
        let text = MinimalNodeConfig.text().replacingOccurrences(of: "listen: 127.0.0.1:7946", with: "listen: 127.0.0.1:74027.0.0.1:7400")
        let error = #expect(throws: ConfigError.self) { try NodeConfig.parse(text, file: "node.yaml") }
        #expect(error?.line == 2)
        #expect(error?.message.contains("has a colon; write an IPv6 address in brackets") == true, "\(String(describing: error))")
    }

    @Test func contradictingGossipSettingsAreRefused() {
        let error = #expect(throws: ConfigError.self) { try NodeConfig.parse(Self.text(gossip: ["probe_interval_ms: 200", "ping_timeout_ms: 300"]), file: "/etc/oncomesh/node.yaml") }
        #expect(error?.description.hasPrefix("/etc/oncomesh/node.yaml:") == true)
        #expect(error?.message.contains("pingTimeout must be positive and shorter than probeInterval") == true)
        let zero = #expect(throws: ConfigError.self) { try NodeConfig.parse(Self.text(gossip: ["gossip_fanout: 0"]), file: "node.yaml") }
        #expect(zero?.message.contains("gossip.gossip_fanout must be a positive whole number") == true)
    }
}
