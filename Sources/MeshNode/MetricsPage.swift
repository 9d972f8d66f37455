import Foundation
import Prometheus

/// What `/metrics` shows: the registry the node's metrics system writes to, sampled first
/// by the ``NodeMetricsSampler`` once the node's shells exist (before that, during a first
/// sync, the page has what was recorded so far).
final class MetricsPage: @unchecked Sendable {
    private let registry: PrometheusCollectorRegistry
    private let lock = NSLock()
    private var sampler: NodeMetricsSampler?

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func attach(_ sampler: NodeMetricsSampler) {
        lock.withLock { self.sampler = sampler }
    }

    /// The Prometheus text exposition of every metric, after a fresh sample.
    func text() async -> String {
        if let sampler = lock.withLock({ self.sampler }) { await sampler.sample() }
        return registry.emitToString()
    }
}
