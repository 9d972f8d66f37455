/// An Age String (AS, PS3.5 section 6.2): exactly three digits and a unit, "054Y", "030M",
/// "012W" or "005D". Infants' ages are given in months, weeks or days, so the unit matters
/// before an age can be compared with adults' ages in years.
public struct DICOMAge: Hashable, Sendable, CustomStringConvertible {
    public enum Unit: Character, Sendable {
        case days = "D"
        case weeks = "W"
        case months = "M"
        case years = "Y"
    }

    public let count: Int
    public let unit: Unit

    /// nil unless `text` is three digits followed by D, W, M or Y.
    public init?(dicom text: String) {
        let characters = Array(text)
        guard characters.count == 4, characters[0..<3].allSatisfy({ $0.isASCII && $0.isNumber }),
            let count = Int(String(characters[0..<3])), let unit = Unit(rawValue: characters[3])
        else { return nil }
        self.count = count
        self.unit = unit
    }

    /// The age in years: months are twelfths of a year, weeks and days are counted against
    /// the mean Gregorian year of 365.25 days.
    public var years: Double {
        switch unit {
        case .years: return Double(count)
        case .months: return Double(count) / 12
        case .weeks: return Double(count) * 7 / 365.25
        case .days: return Double(count) / 365.25
        }
    }

    public var description: String {
        let digits = String(count)
        return String(repeating: "0", count: max(0, 3 - digits.count)) + digits + String(unit.rawValue)
    }
}
