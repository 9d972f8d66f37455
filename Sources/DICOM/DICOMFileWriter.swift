/// Writes small DICOM Part 10 files in explicit VR little endian (PS3.10 section 7, PS3.5
/// section 7.1.2): a preamble, "DICM", the file meta group, then the given text attributes
/// in tag order, without pixel data. For synthetic sites (`meshnode synth --dicom-dir`) that
/// a demo or a benchmark stores in a DICOM server; the tests' files come from pydicom, an
/// independent producer.
public enum DICOMFileWriter {
    /// One text attribute: its tag, its value representation and its value (unpadded).
    public struct Attribute: Sendable {
        public let tag: DICOMTag
        public let vr: String
        public let value: String

        public init(_ tag: DICOMTag, _ vr: String, _ value: String) {
            precondition(vr.utf8.count == 2, "a value representation is two letters")
            self.tag = tag
            self.vr = vr
            self.value = value
        }
    }

    /// Identifies the writer in the file meta group (0002,0012); a UID under the UUID-derived root 2.25.
    public static let implementationClassUID = "2.25.212347081937492818305427103497265318813"

    /// The bytes of a file holding `attributes` (any order; written in tag order).
    public static func file(sopClassUID: String, sopInstanceUID: String, attributes: [Attribute]) -> [UInt8] {
        var meta: [UInt8] = []
        append(Attribute(DICOMTag(0x0002, 0x0001), "OB", ""), to: &meta, bytes: [0x00, 0x01])
        append(Attribute(DICOMTag(0x0002, 0x0002), "UI", sopClassUID), to: &meta)
        append(Attribute(DICOMTag(0x0002, 0x0003), "UI", sopInstanceUID), to: &meta)
        append(Attribute(DICOMTag(0x0002, 0x0010), "UI", TransferSyntax.explicitVRLittleEndianUID), to: &meta)
        append(Attribute(DICOMTag(0x0002, 0x0012), "UI", implementationClassUID), to: &meta)

        var bytes = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        var length: [UInt8] = []
        appendUInt32(UInt32(meta.count), to: &length)
        append(Attribute(.fileMetaInformationGroupLength, "UL", ""), to: &bytes, bytes: length)
        bytes += meta
        let dataset = attributes + [
            Attribute(DICOMTag(0x0008, 0x0016), "UI", sopClassUID), Attribute(.sopInstanceUID, "UI", sopInstanceUID),
        ]
        for attribute in dataset.sorted(by: { $0.tag < $1.tag }) { append(attribute, to: &bytes) }
        return bytes
    }

    /// PS3.5 7.1.2: OB, OW, OF, SQ, UT and UN have two reserved bytes and a 32-bit length;
    /// the others a 16-bit length. Values have even length: UIDs padded with NUL, text with
    /// a space (PS3.5 6.2).
    private static func append(_ attribute: Attribute, to bytes: inout [UInt8], bytes given: [UInt8]? = nil) {
        var value = given ?? Array(attribute.value.utf8)
        if value.count % 2 == 1 { value.append(attribute.vr == "UI" ? 0x00 : 0x20) }
        appendUInt16(attribute.tag.group, to: &bytes)
        appendUInt16(attribute.tag.element, to: &bytes)
        bytes += Array(attribute.vr.utf8)
        if ["OB", "OW", "OF", "SQ", "UT", "UN"].contains(attribute.vr) {
            bytes += [0, 0]
            appendUInt32(UInt32(value.count), to: &bytes)
        } else {
            precondition(value.count <= Int(UInt16.max), "a short-length value fits 16 bits")
            appendUInt16(UInt16(value.count), to: &bytes)
        }
        bytes += value
    }

    private static func appendUInt16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes += [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    private static func appendUInt32(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
}
