/// Why a file's DICOM header could not be read, with where: the file, the byte offset of the
/// element being read (from the start of the file) and its tag, so that a site admin can
/// open the file in a hex viewer or a DICOM dump tool at that place.
public struct DICOMReadError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// No "DICM" marker after the 128-byte preamble (PS3.10 section 7.1).
        case notDICOM
        /// The file ends inside an element header or value.
        case truncated
        /// A length that no valid file has: undefined where PS3.5 7.1.1 forbids it, non-zero
        /// on a delimiter (PS3.5 7.5), or far beyond what the value representation holds.
        case malformedLength(UInt32, String)
        /// An item or delimiter where PS3.5 7.5 allows none, or a sequence holding something
        /// other than items.
        case malformedSequence(String)
        /// Explicit VR bytes that are not a value representation.
        case invalidValueRepresentation(UInt8, UInt8)
        /// The file meta group lacks something PS3.10 7.1 requires.
        case malformedFileMeta(String)
        /// A transfer syntax whose dataset this reader cannot decode.
        case unsupportedTransferSyntax(uid: String, name: String)
        /// Sequences nested deeper than any real file nests them.
        case nestingTooDeep(Int)
        /// The operating system refused to open or read the file.
        case unreadable(String)
    }

    public let path: String
    public let offset: Int
    /// The tag being read, nil when not even the tag could be read.
    public let tag: DICOMTag?
    public let reason: Reason

    public init(path: String, offset: Int, tag: DICOMTag?, reason: Reason) {
        self.path = path
        self.offset = offset
        self.tag = tag
        self.reason = reason
    }

    public var description: String {
        let place = "\(path): at byte offset \(offset)" + (tag.map { ", reading tag \($0)" } ?? "")
        return place + ": " + reasonText
    }

    private var reasonText: String {
        switch reason {
        case .notDICOM:
            return "not a DICOM file (no \"DICM\" marker after the 128-byte preamble, PS3.10 7.1)"
        case .truncated:
            return "the file is truncated: it ends inside this element"
        case .malformedLength(let length, let why):
            return "malformed length \(length) (0x\(String(length, radix: 16, uppercase: true))): \(why)"
        case .invalidValueRepresentation(let first, let second):
            let bytes = [first, second].map { "0x" + String($0, radix: 16, uppercase: true) }.joined(separator: " ")
            return "bytes \(bytes) are not an explicit value representation"
        case .malformedSequence(let why):
            return "malformed sequence: \(why)"
        case .malformedFileMeta(let why):
            return "malformed file meta information: \(why)"
        case .unsupportedTransferSyntax(let uid, let name):
            return "transfer syntax \(uid) (\(name)) is not supported; re-export the study as explicit or implicit VR little endian"
        case .nestingTooDeep(let depth):
            return "sequences nested more than \(depth) levels deep"
        case .unreadable(let why):
            return "cannot read the file: \(why)"
        }
    }
}
