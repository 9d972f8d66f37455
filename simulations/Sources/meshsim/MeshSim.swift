import ArgumentParser
import Foundation
import Simulation

@main
struct MeshSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshsim",
        abstract: "Runs the OncoMesh cores as a whole mesh on a virtual clock under seeded faults.",
        discussion: "Scenarios: \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")), or 'standard' for all of them at N = 30, 100 and 1000, or 'readme' to rebuild the charts and the README from the reports under --out, or 'utility' to measure what the noise of released values costs at each --nodes federation size."
    )

    @Argument(help: "The scenario to run, 'standard', or 'readme'.")
    var scenario: String

    @Option(name: .long, parsing: .upToNextOption, help: "Mesh sizes (several allowed).")
    var nodes: [Int] = [30]

    @Option(name: .long, help: "The first seed.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "How many seeds to run, from --seed on.")
    var seeds: Int = 1

    @Option(name: .long, help: "Override of the measured duration in virtual seconds.")
    var duration: Double?

    @Option(name: .long, help: "Where reports go.")
    var out: String = "simulations/results"

    @Flag(name: .long, help: "No progress line on standard error.")
    var quiet = false

    @Option(name: .long, help: "query: how many nodes crash and restart in the churn phase (default one in 20).")
    var queryCrashes: Int?

    @Option(name: .long, help: "query: how many responders crash just as an unmasking round starts after drops (default 0).")
    var crashesBetweenRounds: Int = 0

    @Option(name: .long, help: "utility: the noise σ on a released count.")
    var sigma: Double = 4

    @Option(name: .long, help: "utility: persons per synthetic site.")
    var subjects: Int = 2000

    @Option(name: .long, help: "swarm: how many runs, seeds --seed, --seed + 1, ...; each draws its own fault mix from its seed.")
    var runs: Int = 1

    func run() throws {
        if scenario == "standard" {
            try StandardSet.run(nodes: [30, 100, 1000], seed: seed, out: out, showProgress: !quiet)
            return
        }
        if scenario == "readme" {
            try StandardSet.summarise(out: out)
            return
        }
        if scenario == "swarm" {
            // Faults drawn from each seed, safety checked throughout, convergence after.
            let totals = try SwarmSeries.run(first: seed, runs: runs, options: SwarmOptions(nodeCount: nodes.first ?? 30))
            if !totals.failedSeeds.isEmpty { throw ExitCode(1) }
            return
        }
        if scenario == "utility" {
            let figures = try nodes.map { try UtilityStudy.run(sites: $0, sigma: sigma, subjectsPerSite: subjects, seed: seed) }
            print(UtilityStudy.table(figures, sigma: sigma))
            return
        }
        guard let chosen = Scenario(rawValue: scenario) else {
            throw ValidationError("unknown scenario '\(scenario)'; choose one of \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")) standard or readme")
        }
        var failed = false
        for count in nodes {
            var results: [ScenarioResult] = []
            for offset in 0..<UInt64(max(1, seeds)) {
                var options = ScenarioOptions(nodes: count, seed: seed + offset)
                options.duration = duration.map { .milliseconds(Int64($0 * 1000)) }
                options.showProgress = !quiet
                options.queryCrashCount = queryCrashes
                options.queryCrashesBetweenRounds = crashesBetweenRounds
                let result = try chosen.run(options)
                results.append(result)
                print(Summary.line(result))
                if !result.passed {
                    failed = true
                    for line in result.violations + result.livenessFailures { print("  \(line)") }
                    print("  replay: \(result.replayCommand)")
                }
            }
            try Report.write(results, to: out)
        }
        if failed { throw ExitCode(1) }
    }
}
