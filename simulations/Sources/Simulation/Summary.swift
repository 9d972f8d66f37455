import Foundation

/// The one-line summary of a run printed by `meshsim`.
public enum Summary {
    public static func line(_ result: ScenarioResult) -> String {
        let status = result.passed ? "ok" : "FAILED"
        let figures = result.metrics.prefix(6).map { "\($0.name) = \(Report.value($0))" }.joined(separator: ", ")
        return String(format: "%@ N=%d seed=%llu %@ (wall %.1f s): ", result.scenario, result.nodes, result.seed, status, result.wallSeconds) + figures
    }
}
