import Foundation

/// Timestamps in signed documents (catalogues, revocation lists, plans), the audit log and
/// the privacy ledger are integers of unix milliseconds: they encode exactly, where a `Date`
/// (a Double since 2001) would not round-trip through bytes bit for bit.
///
/// The rule, here and in `Duration.wholeMilliseconds`: a time is rounded **down** to the
/// millisecond (towards the past, also before 1970), so a reading of the clock never names
/// a millisecond that has not begun. `date(_:)` returns a `Date` that `from(_:)` turns back
/// into the same integer, so a value can pass through `Date` and come back unchanged.
public enum UnixMilliseconds {
    /// The wall clock now. Only shells read it; protocol cores take the time as an input.
    public static func now() -> Int64 { from(Date()) }

    /// `date` rounded down to the millisecond.
    public static func from(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// The start of millisecond `milliseconds`. The nearest `Date` to it can lie a fraction
    /// of a microsecond before it, which `from(_:)` would round down to the millisecond
    /// before; the next representable `Date` is taken then, until it converts back.
    public static func date(_ milliseconds: Int64) -> Date {
        var date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        while from(date) < milliseconds {
            date = Date(timeIntervalSinceReferenceDate: date.timeIntervalSinceReferenceDate.nextUp)
        }
        return date
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded down (towards negative infinity) as
    /// `UnixMilliseconds` rounds a time: one rule for every conversion to integer
    /// milliseconds (deadlines, timeouts, time on the wire).
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (milliseconds, rest) = attoseconds.quotientAndRemainder(dividingBy: 1_000_000_000_000_000)
        return seconds * 1000 + milliseconds - (rest < 0 ? 1 : 0)
    }

    /// The duration in milliseconds as a floating-point number, for reports and rates: whole
    /// nanoseconds (rounded towards zero) divided by 10^6.
    public var fractionalMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds * 1_000_000_000 + attoseconds / 1_000_000_000) / 1e6
    }
}
