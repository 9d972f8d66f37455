import Foundation
import Gossip
import MeshCore
import Testing

@testable import Simulation

/// Swarm mode: a few seeds of small meshes, each with the whole fault mix its seed draws,
/// must keep every safety rule and converge after the faults; a failure is reported with
/// the command that replays it; and a seed replays to the same event log in another process.
@Suite struct SwarmTests {
    static let nodeCount = 8

    static func check(_ outcome: SwarmOutcome) {
        #expect(outcome.passed, "\(outcome.report)")
    }

    /// A bounded swarm, part of `make test`: a handful of seeds, a few seconds in debug.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func boundedSwarmKeepsSafetyAndConverges(seed: UInt64) throws {
        Self.check(try SwarmRun.run(seed: seed, options: SwarmOptions(nodeCount: Self.nodeCount)))
    }

    /// Seeds of `make swarm` whose cut (two-sided, three-sided, one-way) outlasted the
    /// suspicion timeout, so that both sides declared each other dead. (nodes, seed)
    static let cutsOutlastingTheSuspicionTimeout: [(nodes: Int, seed: UInt64)] = [(16, 59), (16, 114), (16, 56), (32, 63), (32, 83)]

    /// Regression seeds: both sides of a cut that outlasted the suspicion timeout held each
    /// other dead and never spoke again (SWIMInstance's reconnect of dead members fixed it).
    @Test func aCutOutlastingTheSuspicionTimeoutHeals() throws {
        for (nodes, seed) in Self.cutsOutlastingTheSuspicionTimeout {
            let outcome = try SwarmRun.run(seed: seed, options: SwarmOptions(nodeCount: nodes))
            #expect(outcome.violations.isEmpty, "\(outcome.report)")
            #expect(outcome.livenessFailures.isEmpty, "\(outcome.report)")
        }
    }

    /// A mix where node 5 crashes early and restarts just as the faults stop: it cannot have
    /// rejoined at that instant, so a run that expects convergence at once must report it.
    static func restartAtTheEnd() -> SwarmFaultMix {
        var mix = SwarmFaultMix(nodeCount: nodeCount, faultPhase: .seconds(10))
        mix.crashes = [SwarmFaultMix.Crash(node: 5, at: .seconds(1), restartAt: .seconds(10))]
        return mix
    }

    @Test func aLivenessExpectationNotMetIsReportedWithItsReplayCommand() throws {
        var options = SwarmOptions(nodeCount: Self.nodeCount)
        options.livenessBoundOverride = .zero
        let outcome = try SwarmRun.run(seed: 9, options: options, mix: Self.restartAtTheEnd())
        #expect(!outcome.passed)
        #expect(outcome.violations.isEmpty, "\(outcome.violations)")
        #expect(outcome.livenessFailures.contains { $0.contains("no convergence within 0 s") }, "\(outcome.livenessFailures)")
        #expect(outcome.report.contains("replay: meshsim swarm --seed 9 --runs 1 --nodes \(Self.nodeCount)"), "\(outcome.report)")
        // With the derived bound the same run converges.
        Self.check(try SwarmRun.run(seed: 9, options: SwarmOptions(nodeCount: Self.nodeCount), mix: Self.restartAtTheEnd()))
    }

    @Test func aViolationFoundByTheSimulatorFailsTheRun() throws {
        var options = SwarmOptions(nodeCount: Self.nodeCount)
        options.afterFormation = { $0.recordViolation("planted: a catalogue no owner signed") }
        let outcome = try SwarmRun.run(seed: 9, options: options, mix: Self.restartAtTheEnd())
        #expect(!outcome.passed)
        #expect(outcome.violations == ["planted: a catalogue no owner signed"])
        #expect(outcome.report.contains("  safety: planted"))
    }

    @Test func aNodeCountingItselfAliveIsCaughtByTheWatch() throws {
        var options = SwarmOptions(nodeCount: Self.nodeCount)
        options.afterFormation = { $0.nodes[3].live.insert(3) }
        let outcome = try SwarmRun.run(seed: 9, options: options, mix: Self.restartAtTheEnd())
        #expect(!outcome.passed)
        #expect(outcome.violations.contains { $0.contains("node 3 counts itself among its live peers") }, "\(outcome.violations)")
    }

    /// The mix is a function of the seed, and over many seeds every kind of fault comes up,
    /// alone and together, with cuts of each shape and crashes both restarted and not.
    @Test func theMixIsDrawnFromTheSeedAlone() {
        #expect(SwarmFaultMix.draw(seed: 7, nodeCount: 16) == SwarmFaultMix.draw(seed: 7, nodeCount: 16))
        #expect(SwarmFaultMix.draw(seed: 7, nodeCount: 16) != SwarmFaultMix.draw(seed: 8, nodeCount: 16))
        let mixes = (1...200 as ClosedRange<UInt64>).map { SwarmFaultMix.draw(seed: $0, nodeCount: 16) }
        #expect(mixes.contains { $0.loss != nil })
        #expect(mixes.contains { $0.duplication != nil })
        #expect(mixes.contains { $0.slowNodes != nil })
        #expect(mixes.contains { $0.cuts.contains { if case .twoSided = $0.shape { true } else { false } } })
        #expect(mixes.contains { $0.cuts.contains { if case .oneWay = $0.shape { true } else { false } } })
        #expect(mixes.contains { $0.cuts.contains { if case .multiSided = $0.shape { true } else { false } } })
        #expect(mixes.contains { $0.crashes.contains { $0.restartAt == nil } })
        #expect(mixes.contains { $0.crashes.contains { $0.restartAt != nil } })
        #expect(mixes.contains { $0.loss != nil && !$0.cuts.isEmpty && !$0.crashes.isEmpty })
        for mix in mixes {
            let kinds = [mix.loss != nil, mix.duplication != nil, mix.slowNodes != nil, !mix.cuts.isEmpty, !mix.crashes.isEmpty]
            #expect(kinds.contains(true), "\(mix.shortForm)")
            #expect(!Set(0..<MeshFormation.seedCount).isSubset(of: mix.crashedForGood), "\(mix.shortForm)")
            for cut in mix.cuts {
                #expect(cut.window.from >= .zero && cut.window.until <= mix.faultPhase && cut.window.from < cut.window.until)
                if case .multiSided(let sides) = cut.shape {
                    #expect(sides.count >= 3 && sides.allSatisfy { !$0.isEmpty })
                    #expect(sides.reduce(0) { $0 + $1.count } == 16 && Set(sides.flatMap { $0 }).count == 16)
                }
            }
        }
    }

    /// `simulations/README.md` is written by `meshsim readme`; the swarm section must come
    /// from the generator (or the next regeneration drops it) and be on the committed page.
    @Test func theReadmeSectionSurvivesRegeneration() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("swarm-readme-\(getpid())")
        let out = folder.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try StandardSet.writeSummary([:], nodes: [30], out: out.path)
        let generated = try String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(generated.contains(SwarmReadmeSection.text + "## Targets\n"))
        let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md")
        #expect(try String(contentsOf: committed, encoding: .utf8).contains(SwarmReadmeSection.text + "## Targets\n"))
    }

    /// The built `meshsim`, next to the test bundle (`swift build --build-tests` builds it).
    static var meshsim: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("meshsim").path
    }

    /// Runs `meshsim` with `arguments`; returns its exit status and standard output.
    static func runMeshsim(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: meshsim)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The digests printed by a `meshsim swarm` run, one per seed.
    static func digests(in output: String) -> [String] {
        output.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("swarm seed="), let range = line.range(of: "digest=") else { return nil }
            return String(line[range.upperBound...].prefix { $0 != " " })
        }
    }

    /// Two processes running the same seeds print the same event log digests, which are
    /// those of the same runs in this process.
    @Test func aSeedReplaysExactlyInAnotherProcess() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.meshsim), "build meshsim first: swift build --build-tests")
        let arguments = ["swarm", "--seed", "3", "--runs", "2", "--nodes", "\(Self.nodeCount)"]
        let first = try Self.runMeshsim(arguments)
        let second = try Self.runMeshsim(arguments)
        #expect(first.status == 0, "\(first.output)")
        #expect(second.status == 0, "\(second.output)")
        let digests = Self.digests(in: first.output)
        #expect(digests.count == 2, "\(first.output)")
        #expect(digests == Self.digests(in: second.output))
        #expect(digests[0] != digests[1])
        let here = try SwarmRun.run(seed: 3, options: SwarmOptions(nodeCount: Self.nodeCount))
        #expect(digests.first == String(here.eventLogDigest.prefix(16)))
    }
}
