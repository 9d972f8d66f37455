import Foundation

/// The time a node's shells read and wait on. The cores take time as an input; the shells
/// get it from here, so the same shells run on the system clock in `meshnode run` and on a
/// ``ManualMeshClock`` in tests that drive many nodes in one process without waiting.
///
/// Two readings, because the protocols need both: ``now`` is monotonic (timers, retries,
/// suspicion timeouts never jump when the wall clock is set), ``date`` is the wall clock
/// (certificate and catalogue validity, deadlines that travel to other nodes).
public protocol MeshClock: Sendable {
    /// Monotonic time since a fixed origin of this clock.
    var now: Duration { get }
    /// The wall clock.
    var date: Date { get }
    /// Returns once `duration` has passed on this clock; throws `CancellationError` when the
    /// task is cancelled first.
    func sleep(for duration: Duration) async throws
}

extension MeshClock {
    /// The wall clock in Unix milliseconds (``UnixMilliseconds`` rounding).
    public var unixMilliseconds: Int64 { UnixMilliseconds.from(date) }
}

/// The system's clocks: `ContinuousClock` for ``now`` and sleeping, `Date()` for ``date``.
public struct SystemMeshClock: MeshClock {
    private let origin = ContinuousClock.now

    public init() {}

    public var now: Duration { ContinuousClock.now - origin }
    public var date: Date { Date() }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}
