import Foundation

/// The standard set: every scenario at N = 30, 100 and 1000, reports per run, and
/// `simulations/README.md` with the measured figures next to the targets.
public enum StandardSet {
    public static func run(nodes: [Int], seed: UInt64, out: String, showProgress: Bool) throws {
        var all: [Scenario: [Int: ScenarioResult]] = [:]
        for scenario in Scenario.allCases {
            for count in nodes {
                var options = ScenarioOptions(nodes: count, seed: seed)
                options.showProgress = showProgress
                let result = try scenario.run(options)
                print(Summary.line(result))
                try Report.write([result], to: out)
                all[scenario, default: [:]][count] = result
            }
        }
        try writeSummary(all, nodes: nodes, out: out)
    }

    /// Rebuilds the cross-size charts and the README from the `report.json` files under
    /// `out` (`meshsim readme`), e.g. after re-running one scenario. Reports of several
    /// seeds contribute their first seed.
    public static func summarise(out: String) throws {
        var all: [Scenario: [Int: ScenarioResult]] = [:]
        var nodes: Set<Int> = []
        let folders = try FileManager.default.contentsOfDirectory(atPath: out)
        for folder in folders {
            let path = "\(out)/\(folder)/report.json"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let results: [ScenarioResult]
            do {
                results = try JSONDecoder().decode([ScenarioResult].self, from: data)
            } catch {
                throw ReportError("\(path) is not a meshsim report: \(error)")
            }
            guard let first = results.first, let scenario = Scenario(rawValue: first.scenario) else { continue }
            all[scenario, default: [:]][first.nodes] = first
            nodes.insert(first.nodes)
        }
        guard !nodes.isEmpty else { throw ReportError("no report.json under \(out); run a scenario first") }
        try writeSummary(all, nodes: nodes.sorted(), out: out)
    }

    static func writeSummary(_ all: [Scenario: [Int: ScenarioResult]], nodes: [Int], out: String) throws {
        try writeCrossSizeCharts(all, nodes: nodes, out: out)
        let readme = TargetTable.readme(all, nodes: nodes, out: out).replacingOccurrences(of: "## Targets\n", with: SwarmReadmeSection.text + "## Targets\n")
        let path = URL(fileURLWithPath: out).deletingLastPathComponent().appendingPathComponent("README.md").path
        try readme.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func writeCrossSizeCharts(_ all: [Scenario: [Int: ScenarioResult]], nodes: [Int], out: String) throws {
        var curves: [Series] = []
        for count in nodes {
            for series in all[.update]?[count]?.series ?? [] where series.name.hasPrefix("loss 0%") { curves.append(series) }
        }
        let convergence = SVGChart(title: "Catalogue update at 0% loss", xLabel: "gossip rounds since publication", yLabel: "share of nodes holding it", series: curves)
        try convergence.render().write(toFile: "\(out)/update-convergence.svg", atomically: true, encoding: .utf8)
        var bars: [Series] = []
        for (name, metric) in [
            ("membership (probes)", "membership bytes per node per second"), ("gossip rounds", "gossip bytes per node per second"),
            ("anti-entropy", "anti-entropy bytes per node per second"),
        ] {
            let points = nodes.enumerated().compactMap { index, count in all[.lossy]?[count]?.metric(metric).map { [Double(index), $0] } }
            bars.append(Series(name: name, xLabel: "nodes", yLabel: "bytes per node per second", points: points))
        }
        let traffic = SVGChart(title: "Bytes per node per second (lossy)", xLabel: "nodes", yLabel: "bytes per node per second", kind: .bar, series: bars, categories: nodes.map(String.init))
        try traffic.render().write(toFile: "\(out)/bytes-per-node.svg", atomically: true, encoding: .utf8)
    }
}

/// A report folder that cannot be summarised; the message names the file.
public struct ReportError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
