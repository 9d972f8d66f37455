import Foundation

/// Timestamps in signed documents (catalogues, revocation lists) are integers of unix
/// milliseconds: they encode exactly, where a `Date` (a Double since 2001) would not
/// round-trip through bytes bit for bit.
public enum UnixMilliseconds {
    /// The wall clock now. Only shells read it; protocol cores take the time as an input.
    public static func now() -> Int64 { from(Date()) }

    /// `date` truncated to the millisecond.
    public static func from(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
