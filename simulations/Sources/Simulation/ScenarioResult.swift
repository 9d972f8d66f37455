import Foundation

/// One measured figure of a run. `value` is nil when the run never reached it.
public struct Metric: Codable, Sendable {
    public var name: String
    public var value: Double?
    public var unit: String

    public init(_ name: String, _ value: Double?, _ unit: String) {
        self.name = name
        self.value = value
        self.unit = unit
    }
}

/// A curve for the report's charts: (x, y) points.
public struct Series: Codable, Sendable {
    public var name: String
    public var xLabel: String
    public var yLabel: String
    public var points: [[Double]]

    public init(name: String, xLabel: String, yLabel: String, points: [[Double]]) {
        self.name = name
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.points = points
    }
}

/// What a scenario run found: figures, curves, and any broken invariant.
public struct ScenarioResult: Codable, Sendable {
    public var scenario: String
    public var nodes: Int
    public var seed: UInt64
    public var metrics: [Metric] = []
    public var series: [Series] = []
    /// Safety invariants broken during the run.
    public var violations: [String] = []
    /// Convergence not reached within its bound after faults stopped.
    public var livenessFailures: [String] = []
    public var eventLogDigest = ""
    public var eventCount = 0
    public var virtualSeconds = 0.0
    public var wallSeconds = 0.0
    public var notes: [String] = []

    public init(scenario: String, nodes: Int, seed: UInt64) {
        self.scenario = scenario
        self.nodes = nodes
        self.seed = seed
    }

    public var passed: Bool { violations.isEmpty && livenessFailures.isEmpty }

    public var replayCommand: String { "swift run meshsim \(scenario) --nodes \(nodes) --seed \(seed)" }

    public func metric(_ name: String) -> Double? {
        metrics.first { $0.name == name }?.value
    }

    mutating func add(_ name: String, _ value: Double?, _ unit: String) {
        metrics.append(Metric(name, value, unit))
    }

    /// Folds in what a simulator found and its log digest (several simulators are combined
    /// in order for scenarios that run more than one).
    mutating func absorb(_ simulator: Simulator, label: String = "") {
        let prefix = label.isEmpty ? "" : "[\(label)] "
        violations += simulator.violations.map { prefix + $0 }
        eventLogDigest = eventLogDigest.isEmpty ? simulator.log.digest : Self.combine(eventLogDigest, simulator.log.digest)
        eventCount += simulator.log.count
        virtualSeconds += simulator.now.secondsValue
    }

    static func combine(_ first: String, _ second: String) -> String {
        var log = EventLog()
        log.append(.zero, first)
        log.append(.zero, second)
        return log.digest
    }
}

/// What every scenario takes: mesh size, seed, and the knobs a scenario may use.
public struct ScenarioOptions: Sendable {
    public var nodes: Int
    public var seed: UInt64
    /// Override of the scenario's measured duration (lossy: the hour; tests: shorter).
    public var duration: Duration?
    /// Loss levels for the update scenario.
    public var lossRates: [Double] = [0, 0.05, 0.2]
    /// How many nodes the crash scenario crashes, one after another.
    public var crashCount = 15
    /// How many nodes crash and restart in the query scenario's churn phase; nil: one in 20.
    public var queryCrashCount: Int?
    /// How many responders the query scenario's churn phase crashes just as an unmasking
    /// round starts after drops (forcing unmasking errors); 0 by default.
    public var queryCrashesBetweenRounds = 0
    public var showProgress = false
    public var settings = SimulationSettings()

    public init(nodes: Int, seed: UInt64, duration: Duration? = nil) {
        self.nodes = nodes
        self.seed = seed
        self.duration = duration
    }
}

/// Scenario names and their runners.
public enum Scenario: String, CaseIterable, Sendable {
    case join, update, crash, lossy, partition, query

    public func run(_ options: ScenarioOptions) throws -> ScenarioResult {
        let started = Date()
        var result: ScenarioResult
        switch self {
        case .join: result = try JoinScenario.run(options)
        case .update: result = try UpdateScenario.run(options)
        case .crash: result = try CrashScenario.run(options)
        case .lossy: result = try LossyScenario.run(options)
        case .partition: result = try PartitionScenario.run(options)
        case .query: result = try QueryScenario.run(options)
        }
        result.wallSeconds = Date().timeIntervalSince(started)
        return result
    }
}
