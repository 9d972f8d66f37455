/// A calendar date from a DA value (PS3.5 section 6.2): "YYYYMMDD", or the "YYYY.MM.DD"
/// form of ACR-NEMA 300 that PS3.5 6.2 still asks readers to accept.
public struct DICOMDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// nil unless `text` is a valid date in one of the two forms.
    public init?(dicom text: String) {
        let digits = text.count == 10 && Array(text)[4] == "." && Array(text)[7] == "."
            ? String(text.filter { $0 != "." }) : text
        guard digits.count == 8, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits) else { return nil }
        self.init(year: number / 10000, month: number / 100 % 100, day: number % 100)
    }

    public var description: String {
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(year, 4) + padded(month, 2) + padded(day, 2)
    }

    public static func < (lhs: DICOMDate, rhs: DICOMDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
