import Foundation

/// Numerics are exact integers at the attribute's declared scale (docs/ARCHITECTURE.md, "Partials"):
/// 63.4 years at scale 1 is 634. Text is parsed digit by digit, never through a binary
/// floating-point value, so no rounding ever happens on the way in.
public enum FixedPoint {
    public enum ParseError: Error, Equatable {
        case malformed
        case tooManyDecimals(allowed: Int)
        case outOfRange
    }

    /// Parses `-?[0-9]+(\.[0-9]+)?` into an integer scaled by 10^scale.
    public static func parse<S: StringProtocol>(_ text: S, scale: Int) -> Result<Int64, ParseError> {
        var copy = String(text)
        return copy.withUTF8 { parse(utf8: $0, scale: scale) }
    }

    /// ``parse(_:scale:)`` on UTF-8 bytes, for readers that never make a String of a field
    /// (the CSV import parses a million rows of numbers).
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>, scale: Int) -> Result<Int64, ParseError> {
        var utf8 = bytes[...]
        var negative = false
        if utf8.first == UInt8(ascii: "-") {
            negative = true
            utf8 = utf8.dropFirst()
        } else if utf8.first == UInt8(ascii: "+") {
            utf8 = utf8.dropFirst()
        }
        guard let first = utf8.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            return .failure(.malformed)
        }
        var value: Int64 = 0
        var decimals = 0
        var seenPoint = false
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                if seenPoint { return .failure(.malformed) }
                seenPoint = true
                continue
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return .failure(.malformed) }
            if seenPoint {
                decimals += 1
                if decimals > scale {
                    // Trailing zeros beyond the scale are harmless ("5.00" at scale 1).
                    if byte == UInt8(ascii: "0") { continue }
                    return .failure(.tooManyDecimals(allowed: scale))
                }
            }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return .failure(.outOfRange) }
            value = sum
        }
        if seenPoint, utf8.last == UInt8(ascii: ".") { return .failure(.malformed) }
        for _ in min(decimals, scale)..<scale {
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            if overflow { return .failure(.outOfRange) }
            value = times
        }
        return .success(negative ? -value : value)
    }

    /// A decimal literal at `scale`, or nil if it has more decimal places than that.
    public static func scaled(_ decimal: Decimal, scale: Int) -> Int64? {
        var text = "\(decimal)"
        if text.contains("e") || text.contains("E") { text = NSDecimalNumber(decimal: decimal).stringValue }
        return try? parse(text, scale: scale).get()
    }

    /// A decimal in fixed-point units, as the integers just below and above it (equal when
    /// the decimal is exact at the scale), clamped to the Int64 range.
    public struct Bound: Sendable, Equatable {
        public let floor: Int64
        public let ceiling: Int64
    }

    /// The fixed-point integers around `decimal` at `scale`: comparisons of fixed-point
    /// values with a literal of any precision stay exact (v > 63.45 at scale 1 is v > 634).
    public static func bound(_ decimal: Decimal, scale: Int) -> Bound {
        var scaled = decimal
        for _ in 0..<scale { scaled *= 10 }
        var floor = Decimal()
        var ceiling = Decimal()
        NSDecimalRound(&floor, &scaled, 0, .down)
        NSDecimalRound(&ceiling, &scaled, 0, .up)
        func clamp(_ value: Decimal) -> Int64 {
            if value >= Decimal(Int64.max) { return Int64.max }
            if value <= Decimal(Int64.min) { return Int64.min }
            return NSDecimalNumber(decimal: value).int64Value
        }
        return Bound(floor: clamp(floor), ceiling: clamp(ceiling))
    }

    /// Formats a scaled integer back to its decimal text ("634" at scale 1 is "63.4").
    public static func format(_ value: Int64, scale: Int) -> String {
        guard scale > 0 else { return String(value) }
        let negative = value < 0
        var digits = String(value.magnitude)
        if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
        let point = digits.index(digits.endIndex, offsetBy: -scale)
        var fraction = String(digits[point...])
        while fraction.last == "0" { fraction.removeLast() }
        let whole = String(digits[..<point])
        return (negative ? "-" : "") + (fraction.isEmpty ? whole : whole + "." + fraction)
    }

    /// 10^scale as a double, for turning a fixed-point sum into its value.
    public static func power(_ scale: Int) -> Double {
        var factor = 1.0
        for _ in 0..<max(0, scale) { factor *= 10 }
        return factor
    }
}
