/// Reads the header of a DICOM Part 10 file: the preamble and "DICM" marker, the file meta
/// group, then the dataset up to the pixel data, which it never reads.
///
/// File layout (PS3.10 section 7.1): a 128-byte preamble, "DICM", the file meta elements
/// (group 0002, always explicit VR little endian), then the dataset in the transfer syntax
/// named by (0002,0010). Sequences are skipped without a data dictionary: a defined length
/// is stepped over, an undefined one is walked item by item to its delimiter (PS3.5 7.5),
/// so nested attributes are never taken for the top-level ones.
public struct DICOMFileReader: Sendable {
    /// Large enough that a typical header is one read, small next to any pixel data.
    public static let defaultChunkSize = 16 * 1024
    /// Far above the longest value the extracted VRs allow (UI 64, LO 64, CS 16, DS 16
    /// bytes, PS3.5 6.2), so that only a corrupt length is refused.
    static let maximumTextLength: UInt32 = 1024
    /// Real files nest sequences a few levels; a bound keeps a hostile file off the stack.
    static let maximumNesting = 64

    public let chunkSize: Int

    public init(chunkSize: Int = DICOMFileReader.defaultChunkSize) {
        self.chunkSize = chunkSize
    }

    public func readHeader(path: String) throws(DICOMReadError) -> DICOMFileHeader {
        let input: ChunkedFileInput
        do {
            input = try ChunkedFileInput(path: path, chunkSize: chunkSize)
        } catch {
            throw DICOMReadError(path: path, offset: 0, tag: nil, reason: .unreadable(String(describing: error)))
        }
        var parse = HeaderParse(path: path, input: input)
        defer { parse.input.close() }
        try parse.readPreamble()
        let transferSyntaxUID = try parse.readFileMeta()
        let text = try parse.readDataset()
        return DICOMFileHeader(
            transferSyntaxUID: transferSyntaxUID, text: text, pixelDataOffset: parse.pixelDataOffset,
            bytesRead: parse.input.bytesRead
        )
    }
}

/// One pass over one file.
private struct HeaderParse {
    let path: String
    var input: ChunkedFileInput
    var explicitVR = true
    var pixelDataOffset: Int?

    func failure(_ reason: DICOMReadError.Reason, _ offset: Int, _ tag: DICOMTag?) -> DICOMReadError {
        DICOMReadError(path: path, offset: offset, tag: tag, reason: reason)
    }

    mutating func readPreamble() throws(DICOMReadError) {
        guard input.fileSize >= 132 else { throw failure(.notDICOM, 128, nil) }
        try skip(128, element: 0, tag: nil)
        guard try bytes(4, element: 128, tag: nil) == Array("DICM".utf8) else {
            throw failure(.notDICOM, 128, nil)
        }
    }

    /// The file meta group (PS3.10 7.1), explicit VR little endian whatever the dataset's
    /// syntax. It ends where its group length (0002,0000) says (a deflated dataset may start
    /// with any bytes) or at the first tag of another group, whichever comes first. Returns the Transfer Syntax UID and sets the encoding.
    mutating func readFileMeta() throws(DICOMReadError) -> String {
        let start = input.offset
        guard input.remaining >= 2, littleEndian16(try peek(2, element: start), 0) == 0x0002 else {
            throw failure(.malformedFileMeta("no group 0002 element after the DICM marker"), start, nil)
        }
        var end: Int?
        var transferSyntaxUID: String?
        while input.remaining >= 2 {
            if let end, input.offset >= end { break }
            if littleEndian16(try peek(2, element: input.offset), 0) != 0x0002 { break }
            let header = try readElementHeader()
            guard !header.hasUndefinedLength else {
                throw failure(.malformedLength(header.length, "file meta elements have defined lengths (PS3.10 7.1)"), header.offset, header.tag)
            }
            switch header.tag {
            case .fileMetaInformationGroupLength where header.length == 4:
                end = input.offset + 4 + Int(littleEndian32(try bytes(4, element: header.offset, tag: header.tag), 0))
            case .transferSyntaxUID:
                transferSyntaxUID = DICOMText.trimmed(try textValue(header))
            default:
                try skip(Int(header.length), element: header.offset, tag: header.tag)
            }
        }
        guard let transferSyntaxUID, !transferSyntaxUID.isEmpty else {
            throw failure(.malformedFileMeta("no Transfer Syntax UID"), start, .transferSyntaxUID)
        }
        switch TransferSyntax.forUID(transferSyntaxUID) {
        case .success(let syntax):
            explicitVR = syntax.isExplicitVR
        case .failure(let unsupported):
            throw failure(.unsupportedTransferSyntax(uid: unsupported.uid, name: unsupported.name), input.offset, .transferSyntaxUID)
        }
        return transferSyntaxUID
    }

    /// The top-level dataset up to the pixel data: the text of the extracted attributes.
    mutating func readDataset() throws(DICOMReadError) -> [DICOMTag: String] {
        var text: [DICOMTag: String] = [:]
        let wanted = Set(DICOMFileHeader.textTags)
        while input.remaining > 0 {
            let header = try readElementHeader()
            if header.tag.isPixelData {
                // Stop before the value; a defined length must still fit in the file, so a
                // copy cut short inside its pixels is found without reading them.
                if !header.hasUndefinedLength, Int(header.length) > input.remaining {
                    throw failure(.truncated, header.offset, header.tag)
                }
                pixelDataOffset = header.offset
                break
            }
            if header.isItemOrDelimiter {
                // Some writers leave a stray sequence delimiter at the top level; PS3.5 7.5
                // has no place for it, but it holds nothing, so it is stepped over.
                guard header.tag == .sequenceDelimitationItem, header.length == 0 else {
                    throw failure(.malformedSequence("item or delimiter outside any sequence"), header.offset, header.tag)
                }
                continue
            }
            if wanted.contains(header.tag) {
                text[header.tag] = DICOMText.trimmed(try textValue(header))
            } else {
                try skipValue(header, depth: 0)
            }
        }
        return text
    }

    /// The value of a short text attribute, refusing a length no such value has.
    mutating func textValue(_ header: DataElementHeader) throws(DICOMReadError) -> [UInt8] {
        guard header.length <= DICOMFileReader.maximumTextLength else {
            let why = "longer than the \(DICOMFileReader.maximumTextLength) bytes allowed for this text attribute (PS3.5 6.2)"
            throw failure(.malformedLength(header.length, why), header.offset, header.tag)
        }
        return try bytes(Int(header.length), element: header.offset, tag: header.tag)
    }

    /// Steps over an element's value; one of undefined length is a sequence of items
    /// (SQ, UN holding a sequence, encapsulated pixel data: PS3.5 7.1.1, 6.2.2, A.4).
    mutating func skipValue(_ header: DataElementHeader, depth: Int) throws(DICOMReadError) {
        guard header.hasUndefinedLength else {
            try skip(Int(header.length), element: header.offset, tag: header.tag)
            return
        }
        if explicitVR, let vr = header.vr, !vr.allowsUndefinedLength {
            throw failure(.malformedLength(header.length, "\(vr) cannot have an undefined length (PS3.5 7.1.1)"), header.offset, header.tag)
        }
        guard depth < DICOMFileReader.maximumNesting else {
            throw failure(.nestingTooDeep(DICOMFileReader.maximumNesting), header.offset, header.tag)
        }
        // A UN of undefined length holds its sequence in implicit VR (PS3.5 6.2.2).
        let outerExplicitVR = explicitVR
        if header.vr?.isUnknown == true { explicitVR = false }
        defer { explicitVR = outerExplicitVR }
        try skipItems(of: header, depth: depth + 1)
    }

    /// Items up to and including the sequence delimiter (PS3.5 7.5.1, 7.5.2).
    mutating func skipItems(of sequence: DataElementHeader, depth: Int) throws(DICOMReadError) {
        while true {
            guard input.remaining > 0 else { throw failure(.truncated, input.offset, sequence.tag) }
            let item = try readElementHeader()
            switch item.tag {
            case .sequenceDelimitationItem:
                try expectZeroLength(item)
                return
            case .item where item.hasUndefinedLength:
                try skipItemContents(of: sequence, depth: depth)
            case .item:
                try skip(Int(item.length), element: item.offset, tag: item.tag)
            default:
                throw failure(.malformedSequence("\(item.tag) inside sequence \(sequence.tag) where an item was expected"), item.offset, item.tag)
            }
        }
    }

    /// The elements of an item of undefined length, up to its delimiter.
    mutating func skipItemContents(of sequence: DataElementHeader, depth: Int) throws(DICOMReadError) {
        while true {
            guard input.remaining > 0 else { throw failure(.truncated, input.offset, sequence.tag) }
            let element = try readElementHeader()
            if element.tag == .itemDelimitationItem {
                try expectZeroLength(element)
                return
            }
            guard !element.isItemOrDelimiter else {
                throw failure(.malformedSequence("\(element.tag) inside an item of \(sequence.tag)"), element.offset, element.tag)
            }
            try skipValue(element, depth: depth)
        }
    }

    func expectZeroLength(_ delimiter: DataElementHeader) throws(DICOMReadError) {
        guard delimiter.length == 0 else {
            throw failure(.malformedLength(delimiter.length, "a delimiter's length is 0 (PS3.5 7.5)"), delimiter.offset, delimiter.tag)
        }
    }

    mutating func readElementHeader() throws(DICOMReadError) -> DataElementHeader {
        let path = path
        return try DataElementHeader.read(from: &input, explicitVR: explicitVR) { reason, offset, tag in
            DICOMReadError(path: path, offset: offset, tag: tag, reason: reason)
        }
    }

    mutating func bytes(_ count: Int, element: Int, tag: DICOMTag?) throws(DICOMReadError) -> [UInt8] {
        do {
            return try input.read(count)
        } catch {
            throw inputFailure(error, element, tag)
        }
    }

    mutating func peek(_ count: Int, element: Int) throws(DICOMReadError) -> [UInt8] {
        do {
            return try input.peek(count)
        } catch {
            throw inputFailure(error, element, nil)
        }
    }

    mutating func skip(_ count: Int, element: Int, tag: DICOMTag?) throws(DICOMReadError) {
        do {
            try input.skip(count)
        } catch {
            throw inputFailure(error, element, tag)
        }
    }

    func inputFailure(_ error: any Error, _ offset: Int, _ tag: DICOMTag?) -> DICOMReadError {
        error is ChunkedFileInput.EndOfFile
            ? failure(.truncated, offset, tag) : failure(.unreadable(String(describing: error)), offset, tag)
    }
}
