/// The two-letter value representation of an explicit-VR data element (PS3.5 section 6.2).
///
/// Only the length field's size depends on it here: PS3.5 section 7.1.2 gives the VRs whose
/// explicit-VR header has two reserved bytes and a 32-bit length; all others have a 16-bit
/// length. A VR this table does not know is read with the 32-bit form, which PS3.5 7.1.2
/// prescribes for VRs added after an implementation was written.
struct ValueRepresentation: Hashable, Sendable, CustomStringConvertible {
    let code: String

    /// nil unless both bytes are upper-case letters, as every VR is.
    init?(_ first: UInt8, _ second: UInt8) {
        let letters = UInt8(ascii: "A")...UInt8(ascii: "Z")
        guard letters.contains(first), letters.contains(second) else { return nil }
        code = String(decoding: [first, second], as: UTF8.self)
    }

    var description: String { code }

    private static let shortLengthCodes: Set<String> = [
        "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "PN", "SH", "SL",
        "SS", "ST", "TM", "UI", "UL", "US",
    ]

    /// Whether the header has a 32-bit length (OB, OD, OF, OL, OV, OW, SQ, SV, UC, UR, UT,
    /// UN, UV and any VR defined later).
    var hasLongLength: Bool { !Self.shortLengthCodes.contains(code) }

    /// PS3.5 section 7.1.1: an undefined length is allowed for SQ, for UN (whose value is
    /// then a sequence in implicit VR, section 6.2.2) and for encapsulated pixel data (OB, OW).
    var allowsUndefinedLength: Bool { ["SQ", "UN", "OB", "OW"].contains(code) }

    var isUnknown: Bool { code == "UN" }
}
