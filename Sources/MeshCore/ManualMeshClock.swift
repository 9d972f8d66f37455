import Foundation

/// A ``MeshClock`` that moves only when told to: tests drive the real shells of many nodes
/// in one process through minutes of protocol time (probe periods, suspicion timeouts,
/// anti-entropy rounds, query deadlines) in milliseconds of real time, and a timeout fires
/// exactly when the test moves the clock past it.
///
/// ``advance(by:)`` moves time forward sleeper by sleeper: it wakes the earliest sleepers,
/// lets the tasks they resume run (so a timer that sets the next timer inside the window is
/// honoured), and goes on until no sleeper is due before the target.
public final class ManualMeshClock: MeshClock, @unchecked Sendable {
    private struct Sleeper {
        let deadline: Duration
        let sequence: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private let lock = NSLock()
    private var elapsed: Duration = .zero
    private let startDate: Date
    private var sleepers: [UInt64: Sleeper] = [:]
    private var nextSequence: UInt64 = 0
    /// How many times ``advance(by:)`` yields after waking sleepers, for the tasks they
    /// resume (and the messages those send each other) to run before time moves on.
    public let yieldsPerStep: Int

    /// A clock whose wall time starts at `startDate` (the real time by default, so
    /// certificates issued now are valid).
    public init(startDate: Date = Date(), yieldsPerStep: Int = 200) {
        self.startDate = startDate
        self.yieldsPerStep = yieldsPerStep
    }

    public var now: Duration { lock.withLock { elapsed } }
    public var date: Date { lock.withLock { startDate.addingTimeInterval(Self.seconds(elapsed)) } }

    /// Tasks waiting on this clock.
    public var sleeperCount: Int { lock.withLock { sleepers.count } }

    public func sleep(for duration: Duration) async throws {
        let sequence = lock.withLock { () -> UInt64 in
            nextSequence += 1
            return nextSequence
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool = lock.withLock {
                    if Task.isCancelled { return true }
                    if duration <= .zero { return true }
                    sleepers[sequence] = Sleeper(deadline: elapsed + duration, sequence: sequence, continuation: continuation)
                    return false
                }
                if resumeNow {
                    if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
                }
            }
        } onCancel: {
            let sleeper = lock.withLock { sleepers.removeValue(forKey: sequence) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward by `duration`, waking every sleeper whose deadline falls
    /// within it in deadline order, and letting the woken tasks run at their deadline.
    public func advance(by duration: Duration) async {
        let target = lock.withLock { elapsed + duration }
        while true {
            let due: [Sleeper] = lock.withLock {
                guard let earliest = sleepers.values.min(by: { ($0.deadline, $0.sequence) < ($1.deadline, $1.sequence) }), earliest.deadline <= target else {
                    return []
                }
                elapsed = max(elapsed, earliest.deadline)
                let now = elapsed
                let woken = sleepers.values.filter { $0.deadline <= now }.sorted { ($0.deadline, $0.sequence) < ($1.deadline, $1.sequence) }
                for sleeper in woken { sleepers[sleeper.sequence] = nil }
                return woken
            }
            if due.isEmpty { break }
            for sleeper in due { sleeper.continuation.resume() }
            await settle()
        }
        lock.withLock { elapsed = target }
        await settle()
    }

    /// Real time given to other threads per settling round, and the most rounds: on a busy
    /// machine the tasks woken by a step may not have run after a few yields, and a test
    /// that moves time on before they have sees a timeout fire that would not in real life.
    static let settleRoundMicroseconds: UInt64 = 100
    static let settleRoundsMax = 40

    /// Lets tasks that are ready run before time moves on: yields, then rounds of a short
    /// real sleep until two rounds in a row register no new sleeper (the woken tasks have
    /// run to their next wait), at most ``settleRoundsMax`` rounds.
    public func settle() async {
        for _ in 0..<yieldsPerStep { await Task.yield() }
        var registered = lock.withLock { nextSequence }
        var quietRounds = 0
        for _ in 0..<Self.settleRoundsMax where quietRounds < 2 {
            try? await Task.sleep(nanoseconds: Self.settleRoundMicroseconds * 1_000)
            for _ in 0..<(yieldsPerStep / 10) { await Task.yield() }
            let now = lock.withLock { nextSequence }
            quietRounds = now == registered ? quietRounds + 1 : 0
            registered = now
        }
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
