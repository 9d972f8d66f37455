/// Times an operation the way `lz4 -b` does, so that our figures and the CLI's mean the same
/// thing.
///
/// `lz4 -b` runs its codec back to back in loops of at least one second, takes each loop's
/// time per pass, repeats loops until `-i` seconds (default 3) are spent, and reports the
/// fastest loop. Measuring our wrapper with a different rule (say, the mean of all passes)
/// would make the comparison about the statistics instead of the code.
public struct FastestLoopTimer: Sendable {
    /// The minimum length of one timed loop (1 s in `lz4 -b`).
    public var loopDuration: Duration
    /// Loops continue until their total reaches this (`lz4 -b -i#`, default 3 s).
    public var totalDuration: Duration

    public init(loopDuration: Duration = .seconds(1), totalDuration: Duration = .seconds(3)) {
        precondition(loopDuration > .zero && totalDuration >= loopDuration)
        self.loopDuration = loopDuration
        self.totalDuration = totalDuration
    }

    /// The fastest time of one call of `operation`, over loops as described above.
    public func fastestPass(_ operation: () throws -> Void) rethrows -> Duration {
        let clock = ContinuousClock()
        var fastest = Duration.seconds(Int64.max)
        var spent = Duration.zero
        repeat {
            var passes = 0
            let start = clock.now
            var elapsed = Duration.zero
            repeat {
                try operation()
                passes += 1
                elapsed = clock.now - start
            } while elapsed < loopDuration
            fastest = min(fastest, elapsed / passes)
            spent += elapsed
        } while spent < totalDuration
        return fastest
    }
}
