import Foundation

/// ISO 8601 date-times as OncoMesh writes and reads them: in UTC, to the millisecond, on
/// unix milliseconds (`UnixMilliseconds`), the integers that the audit log, the privacy
/// ledger and signed documents store.
///
/// Both directions are integer arithmetic on the proleptic Gregorian calendar. Foundation's
/// `ISO8601DateFormatter` is not used: it accepts trailing text, rolls 30 February over
/// into March, and formatting a fractional `Date` can print one millisecond less than the
/// integer it came from.
public enum ISO8601Time {
    /// What `milliseconds(parsing:)` accepts, for error messages.
    public static let acceptedForms =
        "an ISO 8601 date-time with seconds and Z or an offset (2026-11-27T12:00:00Z, 2026-11-27T12:00:00.250+01:00) or a date (2026-11-27, midnight UTC)"

    /// `2026-11-27T12:00:00.123Z`: the exact millisecond, in UTC, always with three decimals.
    public static func text(milliseconds: Int64) -> String {
        let (days, millisecondOfDay) = floorDivision(milliseconds, 86_400_000)
        let (year, month, day) = civil(daysSinceEpoch: days)
        let hour = millisecondOfDay / 3_600_000
        let minute = millisecondOfDay / 60_000 % 60
        let second = millisecondOfDay / 1000 % 60
        let millisecond = millisecondOfDay % 1000
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))T\(padded(hour, 2)):\(padded(minute, 2)):\(padded(second, 2)).\(padded(millisecond, 3))Z"
    }

    /// `date` as `text(milliseconds:)` writes it, after `UnixMilliseconds.from(_:)`.
    public static func text(_ date: Date) -> String {
        text(milliseconds: UnixMilliseconds.from(date))
    }

    /// Unix milliseconds of a strict ISO 8601 date-time (`2026-11-27T12:00:00Z`, with
    /// optional fractional seconds, of which the first three count, and a `Z` or `±hh:mm`
    /// offset) or date (`2026-11-27`, midnight UTC). Anything else throws an error that
    /// names the text and what is wrong with it, including dates that do not exist
    /// (`2026-02-30`) and trailing text.
    public static func milliseconds(parsing text: String) throws(ISO8601TimeError) -> Int64 {
        let pattern = #/([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2}))?/#
        guard let match = text.wholeMatch(of: pattern) else {
            throw ISO8601TimeError(text: text, reason: "not in the form of \(acceptedForms)")
        }
        // The pattern admits only digits where these are read.
        let year = Int(match.1)!, month = Int(match.2)!, day = Int(match.3)!
        guard (1...12).contains(month) else {
            throw ISO8601TimeError(text: text, reason: "month \(month) is not from 1 to 12")
        }
        let monthLength = daysIn(month: month, year: year)
        guard (1...monthLength).contains(day) else {
            throw ISO8601TimeError(text: text, reason: "day \(day) does not exist in \(padded(year, 4))-\(padded(month, 2)), which has \(monthLength) days")
        }
        var milliseconds = days(year: year, month: month, day: day) * 86_400_000
        guard let hourText = match.4, let minuteText = match.5, let secondText = match.6 else { return milliseconds }
        let hour = Int(hourText)!, minute = Int(minuteText)!, second = Int(secondText)!
        guard hour <= 23, minute <= 59, second <= 59 else {
            throw ISO8601TimeError(text: text, reason: "\(hourText):\(minuteText):\(secondText) is not a time of day from 00:00:00 to 23:59:59")
        }
        milliseconds += Int64(hour * 3600 + minute * 60 + second) * 1000
        if let fraction = match.7 {
            milliseconds += Int64(String((fraction + "00").prefix(3)))!
        }
        let zone = match.8 ?? "Z"
        if zone != "Z" {
            let offsetHours = Int(zone.dropFirst().prefix(2))!, offsetMinutes = Int(zone.suffix(2))!
            guard offsetHours <= 23, offsetMinutes <= 59 else {
                throw ISO8601TimeError(text: text, reason: "offset \(zone) is not from -23:59 to +23:59")
            }
            let offset = Int64(offsetHours * 60 + offsetMinutes) * 60_000
            milliseconds += zone.hasPrefix("+") ? -offset : offset
        }
        return milliseconds
    }

    /// The `Date` of `milliseconds(parsing:)`.
    public static func date(parsing text: String) throws(ISO8601TimeError) -> Date {
        UnixMilliseconds.date(try milliseconds(parsing: text))
    }

    // MARK: Calendar

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    private static func days(year: Int, month: Int, day: Int) -> Int64 {
        let year = Int64(month <= 2 ? year - 1 : year)
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = Int64((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1)
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day since 1970-01-01 (H. Hinnant's `civil_from_days`).
    private static func civil(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    private static func padded(_ value: some BinaryInteger, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// Text that is not an ISO 8601 date-time `ISO8601Time` reads, and why.
public struct ISO8601TimeError: Error, Equatable, CustomStringConvertible {
    public let text: String
    public let reason: String

    public var description: String { "'\(text)' is not an ISO 8601 date-time: \(reason)" }
}
