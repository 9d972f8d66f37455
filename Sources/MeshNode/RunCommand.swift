import ArgumentParser
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// `meshnode run`: runs a node until SIGTERM or SIGINT.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a node: listen, join through the seeds, gossip; stop cleanly on SIGTERM or SIGINT."
    )

    @Option(help: "The node's configuration file (from `meshnode init`).")
    var config: String

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        bootstrapLogging(level: logLevel)
        let nodeConfig = try NodeConfig.load(path: config)
        var logger = Logger(label: "oncomesh.node")
        logger[metadataKey: "node"] = "\(nodeConfig.nodeID)"
        let registry = PrometheusCollectorRegistry()
        bootstrapMetrics(registry: registry)
        let runtime = NodeRuntime(config: nodeConfig, logger: logger, metrics: NodeMetrics(factory: MetricsSystem.factory), registry: registry)
        let group = ServiceGroup(services: [runtime], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}

/// Sends every swift-metrics metric of the process to `registry`, which the admin listener
/// renders. Only the executable bootstraps metrics, as it does logging; the shells take a
/// ``NodeMetrics`` made from a factory, so tests need no global state.
func bootstrapMetrics(registry: PrometheusCollectorRegistry) {
    MetricsSystem.bootstrap(DescribedPrometheusFactory(registry: registry))
}
