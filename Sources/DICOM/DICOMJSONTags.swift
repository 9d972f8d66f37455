/// The attributes a QIDO-RS search asks for beyond those the file reader knows, and the way
/// the DICOM JSON model names a tag.
extension DICOMTag {
    /// Number of Study Related Series (0020,1206): computed by the server (PS3.18 Table 10.6.1-5).
    public static let numberOfStudyRelatedSeries = DICOMTag(0x0020, 0x1206)
    /// Number of Study Related Instances (0020,1208).
    public static let numberOfStudyRelatedInstances = DICOMTag(0x0020, 0x1208)
    /// Number of Series Related Instances (0020,1209).
    public static let numberOfSeriesRelatedInstances = DICOMTag(0x0020, 0x1209)

    /// The tag as a DICOM JSON object key and as a QIDO-RS `includefield` value: eight
    /// uppercase hexadecimal digits, group then element (PS3.18 F.2.1.1.2, 8.3.4.3).
    public var dicomJSONKey: String {
        func hex(_ value: UInt16) -> String {
            let digits = String(value, radix: 16, uppercase: true)
            return String(repeating: "0", count: 4 - digits.count) + digits
        }
        return hex(group) + hex(element)
    }

    /// Reads a DICOM JSON object key; nil unless it is eight hexadecimal digits.
    public init?(dicomJSONKey key: String) {
        guard key.utf8.count == 8, key.allSatisfy(\.isHexDigit),
            let group = UInt16(key.prefix(4), radix: 16), let element = UInt16(key.suffix(4), radix: 16)
        else { return nil }
        self.init(group, element)
    }
}
