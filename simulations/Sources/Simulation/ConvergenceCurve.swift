/// A share of nodes sampled over time, and when it first reached given levels.
struct ConvergenceCurve {
    private(set) var points: [(time: Duration, share: Double)] = []

    mutating func sample(_ time: Duration, _ share: Double) {
        points.append((time, share))
    }

    /// The first sampled time at which the share reached `level` (0 ... 1).
    func time(toReach level: Double) -> Duration? {
        points.first { $0.share >= level - 1e-12 }?.time
    }

    func series(name: String, unit: Duration, xLabel: String) -> Series {
        Series(name: name, xLabel: xLabel, yLabel: "share of nodes", points: points.map { [$0.time.secondsValue / unit.secondsValue, $0.share] })
    }
}

/// The levels every convergence figure is reported at.
let convergenceLevels: [(label: String, level: Double)] = [("99%", 0.99), ("99.9%", 0.999), ("100%", 1.0)]
