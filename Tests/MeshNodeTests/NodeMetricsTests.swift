import CoreMetrics
import Prometheus
import Testing

@testable import MeshNode

/// The node's metrics through a registry of their own (no global bootstrap): names, help,
/// labels, and the counters a shell records.
@Suite struct NodeMetricsTests {
    @Test func countersHistogramAndHelpInTheTextFormat() {
        let registry = PrometheusCollectorRegistry()
        let metrics = NodeMetrics(factory: DescribedPrometheusFactory(registry: registry))
        metrics.plansReceivedCount.increment()
        metrics.plansExecutedCount.increment()
        metrics.planRefused(reason: "busy")
        metrics.planRefused(reason: NodeMetrics.localRefusalReason("budget: researcher alice has spent rho 0.5 of 0.4"))
        metrics.planRefused(reason: NodeMetrics.localRefusalReason("the plan adds noise"))
        metrics.queryEnded(.released, after: .milliseconds(120))
        metrics.auditRowWritten(kind: "plan")
        let text = registry.emitToString()
        #expect(text.contains("# HELP oncomesh_plans_received_total Query plans received from other nodes.\n# TYPE oncomesh_plans_received_total counter\noncomesh_plans_received_total 1\n"), "\(text)")
        #expect(text.contains("oncomesh_plans_executed_total 1\n"))
        #expect(text.contains("oncomesh_plans_refused_total{reason=\"busy\"} 1\n"), "\(text)")
        #expect(text.contains("oncomesh_plans_refused_total{reason=\"budget\"} 1\n"), "\(text)")
        #expect(text.contains("oncomesh_plans_refused_total{reason=\"policy\"} 1\n"), "\(text)")
        #expect(text.contains("oncomesh_queries_total{outcome=\"released\"} 1\n") && text.contains("oncomesh_queries_total{outcome=\"refused\"} 0\n"), "\(text)")
        #expect(text.contains("oncomesh_query_duration_seconds_bucket{le=\"0.25\"} 1\n") && text.contains("oncomesh_query_duration_seconds_bucket{le=\"0.1\"} 0\n"), "\(text)")
        #expect(text.contains("oncomesh_query_duration_seconds_count 1\n"), "\(text)")
        #expect(text.contains("oncomesh_audit_rows_written_total{kind=\"plan\"} 1\n"), "\(text)")
        // Every metric the text names has help.
        let names = Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] })
        #expect(!names.isEmpty)
        for name in names {
            #expect(text.contains("# HELP \(name) "), "\(name) has no help")
            #expect(name.hasPrefix("oncomesh_"))
        }
    }

    @Test func everyNameHasHelpAndFollowsTheConventions() {
        for (name, help) in NodeMetrics.help {
            #expect(name.hasPrefix("oncomesh_") && !help.isEmpty)
            #expect(name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(name)")
        }
    }
}
