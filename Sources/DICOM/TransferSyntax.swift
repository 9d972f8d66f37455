/// How a dataset after the file meta group is encoded (PS3.5 section 10 and annex A).
///
/// The header reader needs only the VR encoding and byte order of the dataset: every
/// compressed-pixel transfer syntax (JPEG, JPEG-LS, JPEG 2000, RLE, MPEG, HTJ2K) encodes the
/// dataset in explicit VR little endian and only encapsulates the pixel data (PS3.5 A.4),
/// which the reader never decodes.
public enum TransferSyntax: Equatable, Sendable {
    case implicitVRLittleEndian
    case explicitVRLittleEndian

    public static let implicitVRLittleEndianUID = "1.2.840.10008.1.2"
    public static let explicitVRLittleEndianUID = "1.2.840.10008.1.2.1"
    public static let explicitVRBigEndianUID = "1.2.840.10008.1.2.2"
    public static let deflatedExplicitVRLittleEndianUID = "1.2.840.10008.1.2.1.99"

    /// Syntaxes whose dataset is a deflate stream (PS3.5 A.5 and the JPIP referenced deflate
    /// syntaxes), which would need inflating before a single element can be read.
    static let deflatedUIDs: [String: String] = [
        deflatedExplicitVRLittleEndianUID: "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.4.95": "JPIP Referenced Deflate",
        "1.2.840.10008.1.2.4.205": "JPIP HTJ2K Referenced Deflate",
    ]

    /// The syntax for a Transfer Syntax UID (0002,0010), or why it cannot be read.
    static func forUID(_ uid: String) -> Result<TransferSyntax, UnsupportedTransferSyntax> {
        switch uid {
        case implicitVRLittleEndianUID:
            return .success(.implicitVRLittleEndian)
        case explicitVRLittleEndianUID:
            return .success(.explicitVRLittleEndian)
        case explicitVRBigEndianUID:
            return .failure(UnsupportedTransferSyntax(uid: uid, name: "Explicit VR Big Endian, retired in PS3.5 A.3"))
        default:
            if let name = deflatedUIDs[uid] {
                return .failure(UnsupportedTransferSyntax(uid: uid, name: name + ", whose dataset is deflate-compressed"))
            }
            // Every other standard syntax is explicit VR little endian with encapsulated pixels.
            if uid.hasPrefix(implicitVRLittleEndianUID + ".") {
                return .success(.explicitVRLittleEndian)
            }
            return .failure(UnsupportedTransferSyntax(uid: uid, name: "a private or unknown transfer syntax"))
        }
    }

    var isExplicitVR: Bool { self == .explicitVRLittleEndian }
}

/// A Transfer Syntax UID the reader refuses, with the syntax's name for the error message.
struct UnsupportedTransferSyntax: Error, Equatable {
    let uid: String
    let name: String
}
