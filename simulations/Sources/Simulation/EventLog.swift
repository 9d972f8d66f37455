import Crypto
import Foundation

/// The append-only record of what happened in a run that matters for its outcome:
/// membership changes, catalogue acceptances and rejections, faults, queries.
///
/// Its SHA-256 digest identifies a run: the same seed gives the same digest, so a replay
/// can be checked to be exact. Byte counts are not logged, because ECDSA signatures (and so
/// certificate and catalogue sizes) differ by a byte or two from one run to the next.
public struct EventLog {
    private var hasher = SHA256()
    public private(set) var count = 0
    /// The first lines, kept for the report and for debugging a failing seed.
    public private(set) var head: [String] = []
    public let headCapacity: Int

    public init(headCapacity: Int = 20_000) {
        self.headCapacity = headCapacity
    }

    public mutating func append(_ time: Duration, _ line: String) {
        let text = "\(time.nanosecondsCount) \(line)\n"
        hasher.update(data: Array(text.utf8))
        count += 1
        if head.count < headCapacity { head.append(text) }
    }

    /// The digest of every line so far, as lowercase hex.
    public var digest: String {
        hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
