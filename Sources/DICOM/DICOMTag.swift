/// A data element tag: group and element number (DICOM PS3.5 section 7.1).
///
/// Written as "(gggg,eeee)" in hexadecimal, the way the standard and every DICOM tool name
/// tags, so that errors can be looked up directly.
public struct DICOMTag: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let group: UInt16
    public let element: UInt16

    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    public var description: String {
        "(" + Self.hex(group) + "," + Self.hex(element) + ")"
    }

    public static func < (lhs: DICOMTag, rhs: DICOMTag) -> Bool {
        (lhs.group, lhs.element) < (rhs.group, rhs.element)
    }

    private static func hex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}

extension DICOMTag {
    // File meta information (PS3.10 section 7.1).
    public static let fileMetaInformationGroupLength = DICOMTag(0x0002, 0x0000)
    public static let transferSyntaxUID = DICOMTag(0x0002, 0x0010)

    // The attributes a site's `cases` row is built from (PS3.3, PS3.6 data dictionary).
    public static let sopInstanceUID = DICOMTag(0x0008, 0x0018)
    public static let studyDate = DICOMTag(0x0008, 0x0020)
    public static let modality = DICOMTag(0x0008, 0x0060)
    public static let manufacturer = DICOMTag(0x0008, 0x0070)
    public static let patientID = DICOMTag(0x0010, 0x0020)
    public static let patientBirthDate = DICOMTag(0x0010, 0x0030)
    public static let patientSex = DICOMTag(0x0010, 0x0040)
    public static let patientAge = DICOMTag(0x0010, 0x1010)
    public static let bodyPartExamined = DICOMTag(0x0018, 0x0015)
    public static let sliceThickness = DICOMTag(0x0018, 0x0050)
    public static let studyInstanceUID = DICOMTag(0x0020, 0x000D)
    public static let seriesInstanceUID = DICOMTag(0x0020, 0x000E)

    // Pixel data in its three forms (PS3.6): reading stops at the first of them.
    public static let floatPixelData = DICOMTag(0x7FE0, 0x0008)
    public static let doubleFloatPixelData = DICOMTag(0x7FE0, 0x0009)
    public static let pixelData = DICOMTag(0x7FE0, 0x0010)

    // Items and delimiters carry no VR in any transfer syntax (PS3.5 section 7.5).
    public static let item = DICOMTag(0xFFFE, 0xE000)
    public static let itemDelimitationItem = DICOMTag(0xFFFE, 0xE00D)
    public static let sequenceDelimitationItem = DICOMTag(0xFFFE, 0xE0DD)

    var isPixelData: Bool {
        self == .pixelData || self == .floatPixelData || self == .doubleFloatPixelData
    }
}
