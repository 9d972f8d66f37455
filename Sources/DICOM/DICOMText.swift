import Foundation

/// Turns the bytes of a text value into the value the standard means.
///
/// PS3.5 section 6.2: values are padded to an even length with a trailing space, UIs with a
/// trailing NUL, and leading and trailing spaces are insignificant in CS, DS, IS, AS, DA, LO
/// and SH. Every attribute read here is in the default repertoire (ISO-IR 6, section 6.1.2)
/// or, for Manufacturer and PatientID, in practice UTF-8-compatible, so the bytes are decoded
/// as UTF-8 whatever Specific Character Set (0008,0005) says.
enum DICOMText {
    static func trimmed(_ bytes: [UInt8]) -> String {
        let padding: Set<UInt8> = [0x00, 0x20]
        var end = bytes.count
        while end > 0, padding.contains(bytes[end - 1]) { end -= 1 }
        var start = 0
        while start < end, bytes[start] == 0x20 { start += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The first of a multi-valued text value (values are separated by "\", PS3.5 6.4).
    static func firstValue(_ text: String) -> String {
        let first = text.split(separator: "\\", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return first.trimmingCharacters(in: .whitespaces)
    }

    /// A Decimal String (DS, PS3.5 6.2): a fixed or floating point number of at most 16
    /// characters, read exactly as a decimal rather than through a binary float.
    static func decimalString(_ text: String) -> Decimal? {
        let value = firstValue(text)
        let allowed = Set("0123456789+-.eE")
        guard !value.isEmpty, value.allSatisfy({ allowed.contains($0) }),
            value.filter({ $0 == "." }).count <= 1, value.filter({ $0 == "e" || $0 == "E" }).count <= 1
        else { return nil }
        return Decimal(string: value, locale: Locale(identifier: "en_US_POSIX"))
    }
}
