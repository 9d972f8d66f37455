import Foundation

/// Writes a run's `report.json`, `report.md` and charts into `OUT/SCENARIO-N/`.
public enum Report {
    public static func write(_ results: [ScenarioResult], to directory: String) throws {
        guard let first = results.first else { return }
        let folder = "\(directory)/\(first.scenario)-\(first.nodes)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(results).write(to: URL(fileURLWithPath: "\(folder)/report.json"))
        var charts: [String] = []
        let groups = Dictionary(grouping: first.series.indices, by: { first.series[$0].xLabel })
        for (chartIndex, xLabel) in groups.keys.sorted().enumerated() {
            let curves = groups[xLabel]!.map { first.series[$0] }
            let chart = SVGChart(title: "\(first.scenario), N=\(first.nodes)", xLabel: xLabel, yLabel: curves[0].yLabel, series: curves)
            let name = "chart-\(chartIndex + 1).svg"
            try chart.render().write(toFile: "\(folder)/\(name)", atomically: true, encoding: .utf8)
            charts.append(name)
        }
        try markdown(results, charts: charts).write(toFile: "\(folder)/report.md", atomically: true, encoding: .utf8)
    }

    public static func value(_ metric: Metric) -> String {
        guard let value = metric.value else { return "not reached" }
        return "\(SVGChart.format((value * 100).rounded() / 100)) \(metric.unit)"
    }

    static func markdown(_ results: [ScenarioResult], charts: [String]) -> String {
        let first = results[0]
        var text = "# Simulation: \(first.scenario), \(first.nodes) nodes\n\n"
        for result in results {
            text += "## Seed \(result.seed)\n\n"
            text += "Replay: `\(result.replayCommand)`. Event log: \(result.eventCount) events, SHA-256 `\(result.eventLogDigest)`. "
            text += String(format: "Virtual time %.1f s, wall time %.1f s.\n\n", result.virtualSeconds, result.wallSeconds)
            text += "| Figure | Value |\n|---|---|\n"
            for metric in result.metrics { text += "| \(metric.name) | \(value(metric)) |\n" }
            text += "\n"
            text += result.violations.isEmpty ? "Safety invariants: all held.\n\n" : "Safety violations:\n\n" + result.violations.map { "- \($0)\n" }.joined() + "\n"
            text += result.livenessFailures.isEmpty ? "Liveness: converged within its bound.\n\n" : "Liveness failures:\n\n" + result.livenessFailures.map { "- \($0)\n" }.joined() + "\n"
            if !result.notes.isEmpty { text += "Notes:\n\n" + result.notes.map { "- \($0)\n" }.joined() + "\n" }
        }
        for chart in charts { text += "![\(chart)](\(chart))\n\n" }
        return text
    }
}
