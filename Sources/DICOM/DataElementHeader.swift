/// The tag, VR and length that precede a data element's value (PS3.5 section 7.1).
///
/// Explicit VR: tag, two VR letters, then a 16-bit length, or two reserved bytes and a
/// 32-bit length for the long VRs (section 7.1.2). Implicit VR: tag and a 32-bit length
/// (section 7.1.3). Items and delimiters, group FFFE, are tag and 32-bit length in both
/// (section 7.5). Everything is little endian here.
struct DataElementHeader {
    /// The length FFFFFFFFH: the value runs until a delimiter (PS3.5 7.1.1, 7.5).
    static let undefinedLength: UInt32 = 0xFFFF_FFFF

    let tag: DICOMTag
    /// nil in implicit VR and for items and delimiters.
    let vr: ValueRepresentation?
    let length: UInt32
    /// File offset of the tag's first byte.
    let offset: Int

    var hasUndefinedLength: Bool { length == Self.undefinedLength }
    var isItemOrDelimiter: Bool { tag.group == 0xFFFE }

    /// Reads the header at the input's position; `failure` names the file for errors.
    static func read(
        from input: inout ChunkedFileInput,
        explicitVR: Bool,
        failure: (DICOMReadError.Reason, Int, DICOMTag?) -> DICOMReadError
    ) throws(DICOMReadError) -> DataElementHeader {
        let offset = input.offset
        var tag: DICOMTag?
        func next(_ count: Int) throws(DICOMReadError) -> [UInt8] {
            do {
                return try input.read(count)
            } catch is ChunkedFileInput.EndOfFile {
                throw failure(.truncated, offset, tag)
            } catch {
                throw failure(.unreadable(String(describing: error)), offset, tag)
            }
        }
        let tagBytes = try next(4)
        let readTag = DICOMTag(littleEndian16(tagBytes, 0), littleEndian16(tagBytes, 2))
        tag = readTag
        if readTag.group == 0xFFFE || !explicitVR {
            return DataElementHeader(tag: readTag, vr: nil, length: littleEndian32(try next(4), 0), offset: offset)
        }
        let vrBytes = try next(2)
        guard let vr = ValueRepresentation(vrBytes[0], vrBytes[1]) else {
            throw failure(.invalidValueRepresentation(vrBytes[0], vrBytes[1]), offset, readTag)
        }
        if vr.hasLongLength {
            let lengthBytes = try next(6)
            return DataElementHeader(tag: readTag, vr: vr, length: littleEndian32(lengthBytes, 2), offset: offset)
        }
        let lengthBytes = try next(2)
        return DataElementHeader(tag: readTag, vr: vr, length: UInt32(littleEndian16(lengthBytes, 0)), offset: offset)
    }
}

func littleEndian16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
    UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
}

func littleEndian32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
    UInt32(littleEndian16(bytes, at)) | UInt32(littleEndian16(bytes, at + 2)) << 16
}
