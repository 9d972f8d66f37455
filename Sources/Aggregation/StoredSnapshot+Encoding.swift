import Crypto
import MeshCore

/// Why a stored snapshot cannot be used; the node then rebuilds the snapshot from the table.
public struct StoredSnapshotError: Error, CustomStringConvertible, Equatable {
    public let description: String
}

/// The binary form of a ``StoredSnapshot``, kept as one BLOB in the site database.
///
/// Layout, integers little-endian (every platform this runs on; a big-endian reader refuses
/// the encoding rather than misreading it):
///
///     magic "OMSNAPSH" | format version u32 | schema fingerprint (32 bytes)
///     row count u64 | subject count u64
///     subject of each row: i32 × rows
///     pseudonym ends: u32 × subjects | pseudonym byte count u64 | pseudonym bytes
///     per attribute: column tag u8 (0 key, 1 narrow codes u8, 2 wide codes u16,
///                    3 narrow numbers i32, 4 wide numbers i64) | has nulls u8 |
///                    values × rows | null bitmap u64 × ⌈rows / 64⌉ when it has nulls
///     SHA-256 of everything before (32 bytes)
///
/// The checksum catches a torn or altered BLOB; the fingerprint, a snapshot of another
/// schema; the version, a layout this node does not read. Each leads to a clear error and
/// the node rebuilds the snapshot from the table. Decoding also checks what the executor
/// relies on (codes within the vocabulary, each subject's rows contiguous), so a BLOB with
/// a matching checksum but wrong content cannot make the executor read out of bounds.
extension StoredSnapshot {
    /// Raised when the layout changes; older encodings are then rebuilt from the table.
    public static let formatVersion: UInt32 = 1
    static let magic = Array("OMSNAPSH".utf8)
    static let checksumByteCount = 32

    public func encoded() -> [UInt8] {
        precondition(Self.hostIsLittleEndian, "the stored snapshot is written on little-endian machines only")
        var out: [UInt8] = []
        out.reserveCapacity(snapshot.columnBytes + pseudonymBytes.count + pseudonymEnds.count * 4 + 256)
        out += Self.magic
        Self.append(Self.formatVersion, to: &out)
        out += Self.fingerprint(of: snapshot.schema)
        Self.append(UInt64(snapshot.rowCount), to: &out)
        Self.append(UInt64(snapshot.subjectCount), to: &out)
        snapshot.subjects.withUnsafeBytes { out += $0 }
        pseudonymEnds.withUnsafeBytes { out += $0 }
        Self.append(UInt64(pseudonymBytes.count), to: &out)
        out += pseudonymBytes
        for column in snapshot.columns {
            switch column {
            case nil:
                out += [0, 0]
            case .categorical(.narrow(let codes)):
                out += [1, 0]
                out += codes
            case .categorical(.wide(let codes)):
                out += [2, 0]
                codes.withUnsafeBytes { out += $0 }
            case .numeric(let values, let nulls):
                switch values {
                case .narrow(let numbers):
                    out += [3, nulls == nil ? 0 : 1]
                    numbers.withUnsafeBytes { out += $0 }
                case .wide(let numbers):
                    out += [4, nulls == nil ? 0 : 1]
                    numbers.withUnsafeBytes { out += $0 }
                }
                nulls?.words.withUnsafeBytes { out += $0 }
            }
        }
        out += out.withUnsafeBytes { Array(SHA256.hash(data: $0)) }
        return out
    }

    /// Decodes what ``encoded()`` wrote for a site of `schema`.
    public init(decoding bytes: UnsafeRawBufferPointer, schema: Schema) throws(StoredSnapshotError) {
        guard Self.hostIsLittleEndian else { throw StoredSnapshotError(description: "the stored snapshot is little-endian; this machine is not") }
        let headerCount = Self.magic.count + 4 + 32 + 16
        guard bytes.count >= headerCount + Self.checksumByteCount, bytes.starts(with: Self.magic) else {
            throw StoredSnapshotError(description: "the stored snapshot is not a snapshot encoding (bad magic or too short)")
        }
        var reader = Reader(bytes: UnsafeRawBufferPointer(rebasing: bytes.dropLast(Self.checksumByteCount)), offset: Self.magic.count)
        let version = try reader.scalar(UInt32.self)
        guard version == Self.formatVersion else {
            throw StoredSnapshotError(description: "the stored snapshot has format version \(version); this node reads version \(Self.formatVersion)")
        }
        let stored = UnsafeRawBufferPointer(rebasing: bytes.suffix(Self.checksumByteCount))
        let computed = SHA256.hash(data: UnsafeRawBufferPointer(rebasing: bytes.dropLast(Self.checksumByteCount)))
        guard computed.elementsEqual(stored) else {
            throw StoredSnapshotError(description: "the stored snapshot's checksum does not match its content (damaged)")
        }
        guard try reader.array(UInt8.self, count: 32) == Self.fingerprint(of: schema) else {
            throw StoredSnapshotError(description: "the stored snapshot was made for another schema than the stored one")
        }
        let rowCount = try reader.count()
        let subjectCount = try reader.count()
        let subjects = try reader.array(Int32.self, count: rowCount)
        // Dense subjects in order, each with at least one row: 0, then steps of 0 or 1, ending at subjectCount - 1.
        var expected: Int32 = 0
        for subject in subjects where subject != expected - 1 {
            guard subject == expected else { throw StoredSnapshotError(description: "the stored snapshot's rows are not grouped by dense subject") }
            expected += 1
        }
        guard Int(expected) == subjectCount else { throw StoredSnapshotError(description: "the stored snapshot has \(subjectCount) subjects but rows of \(expected)") }
        let ends = try reader.array(UInt32.self, count: subjectCount)
        let nameBytes = try reader.array(UInt8.self, count: try reader.count())
        guard zip(ends, ends.dropFirst()).allSatisfy({ $0 <= $1 }), Int(ends.last ?? 0) == nameBytes.count else {
            throw StoredSnapshotError(description: "the stored snapshot's pseudonyms are inconsistent")
        }
        var columns: [ColumnarSnapshot.Column?] = []
        for attribute in schema.attributes {
            let tag = try reader.scalar(UInt8.self)
            let hasNulls = try reader.scalar(UInt8.self) != 0
            let vocabularyCount = attribute.vocabulary.count
            func nulls() throws(StoredSnapshotError) -> Bitset? {
                hasNulls ? Bitset(count: rowCount, words: try reader.array(UInt64.self, count: (rowCount + 63) / 64)) : nil
            }
            switch (attribute.type, tag) {
            case (.key, 0):
                columns.append(nil)
            case (.categorical, 1) where vocabularyCount < Int(UInt8.max):
                let codes = try reader.array(UInt8.self, count: rowCount)
                guard codes.allSatisfy({ Int($0) <= vocabularyCount }) else { throw Self.codeOutOfRange(attribute) }
                columns.append(.categorical(.narrow(codes)))
            case (.categorical, 2) where vocabularyCount >= Int(UInt8.max):
                let codes = try reader.array(UInt16.self, count: rowCount)
                guard codes.allSatisfy({ Int($0) <= vocabularyCount }) else { throw Self.codeOutOfRange(attribute) }
                columns.append(.categorical(.wide(codes)))
            case (.numeric, 3):
                let values = try reader.array(Int32.self, count: rowCount)
                columns.append(.numeric(.narrow(values), nulls: try nulls()))
            case (.numeric, 4):
                let values = try reader.array(Int64.self, count: rowCount)
                columns.append(.numeric(.wide(values), nulls: try nulls()))
            default:
                throw StoredSnapshotError(description: "the stored snapshot's column \(attribute.name) has tag \(tag), which does not fit the schema")
            }
        }
        guard reader.offset == reader.bytes.count else {
            throw StoredSnapshotError(description: "the stored snapshot has \(reader.bytes.count - reader.offset) bytes after its last column")
        }
        let snapshot = ColumnarSnapshot(
            schema: schema, subjects: subjects, subjectCount: subjectCount, columns: columns,
            subjectKeys: [UInt64](repeating: 0, count: subjectCount), studyKeys: [UInt64](repeating: 0, count: rowCount)
        )
        self.init(snapshot: snapshot, pseudonymBytes: nameBytes, pseudonymEnds: ends)
    }

    private static func codeOutOfRange(_ attribute: Attribute) -> StoredSnapshotError {
        StoredSnapshotError(description: "the stored snapshot's column \(attribute.name) holds a code outside its vocabulary")
    }

    private static var hostIsLittleEndian: Bool { 1.littleEndian == 1 }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    /// SHA-256 of the schema's attributes (names, types, levels, vocabularies, scales and
    /// ranges), unambiguously separated.
    static func fingerprint(of schema: Schema) -> [UInt8] {
        var text = ""
        for attribute in schema.attributes {
            text += "\(attribute.name)\u{1F}\(attribute.level.rawValue)\u{1F}\(attribute.nullable)\u{1F}"
            switch attribute.type {
            case .key: text += "key"
            case .categorical(let vocabulary): text += "categorical\u{1F}" + vocabulary.joined(separator: "\u{1D}")
            case .numeric(let unit, let scale, let minimum, let maximum):
                text += "numeric\u{1F}\(unit ?? "")\u{1F}\(scale)\u{1F}\(minimum.map { "\($0)" } ?? "")\u{1F}\(maximum.map { "\($0)" } ?? "")"
            }
            text += "\u{1E}"
        }
        return Array(SHA256.hash(data: Array(text.utf8)))
    }

    /// Reads little-endian integers and arrays, refusing to read past the end.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset: Int

        mutating func scalar<T: FixedWidthInteger>(_: T.Type) throws(StoredSnapshotError) -> T {
            try need(MemoryLayout<T>.size)
            defer { offset += MemoryLayout<T>.size }
            return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }

        /// A u64 count that must fit in what is left of the encoding.
        mutating func count() throws(StoredSnapshotError) -> Int {
            let value = try scalar(UInt64.self)
            guard value <= UInt64(bytes.count) else { throw StoredSnapshotError(description: "the stored snapshot is truncated") }
            return Int(value)
        }

        mutating func array<T: FixedWidthInteger>(_: T.Type, count: Int) throws(StoredSnapshotError) -> [T] {
            let byteCount = count * MemoryLayout<T>.stride
            try need(byteCount)
            defer { offset += byteCount }
            return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + byteCount]))
                initialized = count
            }
        }

        private func need(_ byteCount: Int) throws(StoredSnapshotError) {
            guard byteCount >= 0, bytes.count - offset >= byteCount else { throw StoredSnapshotError(description: "the stored snapshot is truncated") }
        }
    }
}
