import Foundation
import MeshCore

extension StoredSnapshot {
    /// Rows per task below which keying runs on one thread (spreading costs more than it saves).
    static let rowsPerParallelChunk = 50_000

    /// The snapshot with every person's and study's record key under `keyer`: the same keys
    /// as ``ColumnarSnapshotBuilder`` gives the same rows (the key slot of a row's canonical
    /// bytes is NULL, as when a node loads its rows from the table).
    ///
    /// Keys are computed on all cores, in chunks that each start at a subject's first row:
    /// a study's occurrence among identical rows of its person is counted within its
    /// subject's rows, which the snapshot keeps contiguous.
    public func keyed(by keyer: RecordKeyer) -> ColumnarSnapshot {
        let rowCount = snapshot.rowCount
        let subjectCount = snapshot.subjectCount
        let parts = CanonicalPart.parts(of: snapshot)
        let rowCapacity = parts.reduce(0) { $0 + $1.maximumByteCount }
        let chunkCount = max(1, min(ProcessInfo.processInfo.activeProcessorCount, rowCount / Self.rowsPerParallelChunk))
        let boundaries = Self.chunkBoundaries(subjects: snapshot.subjects, subjectCount: subjectCount, chunks: chunkCount)
        var subjectKeys = [UInt64](repeating: 0, count: subjectCount)
        var studyKeys = [UInt64](repeating: 0, count: rowCount)
        pseudonymBytes.withUnsafeBytes { names in
            subjectKeys.withUnsafeMutableBufferPointer { subjectKeys in
                studyKeys.withUnsafeMutableBufferPointer { studyKeys in
                    let shared = KeyingBuffers(names: names, subjectKeys: subjectKeys, studyKeys: studyKeys)
                    DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                        let (firstSubject, firstRow) = boundaries[chunk]
                        let (endSubject, endRow) = boundaries[chunk + 1]
                        let names = shared.names
                        for subject in firstSubject..<endSubject {
                            shared.subjectKeys[subject] = keyer.personKey(pseudonymUTF8: UnsafeRawBufferPointer(rebasing: names[pseudonymRange(subject)]))
                        }
                        withUnsafeTemporaryAllocation(byteCount: rowCapacity, alignment: 8) { scratch in
                            var currentSubject = -1
                            var firsts: [UInt64] = []
                            for row in firstRow..<endRow {
                                let subject = Int(snapshot.subjects[row])
                                if subject != currentSubject {
                                    currentSubject = subject
                                    firsts.removeAll(keepingCapacity: true)
                                }
                                var length = 0
                                for part in parts { length += part.write(row: row, to: scratch.baseAddress! + length) }
                                let name = UnsafeRawBufferPointer(rebasing: names[pseudonymRange(subject)])
                                let canonical = UnsafeRawBufferPointer(rebasing: scratch[0..<length])
                                let first = keyer.studyKey(pseudonymUTF8: name, canonicalRow: canonical, occurrence: 0)
                                let seen = firsts.reduce(0) { $0 + ($1 == first ? 1 : 0) }
                                firsts.append(first)
                                shared.studyKeys[row] = seen == 0 ? first : keyer.studyKey(pseudonymUTF8: name, canonicalRow: canonical, occurrence: seen)
                            }
                        }
                    }
                }
            }
        }
        return ColumnarSnapshot(
            schema: snapshot.schema, subjects: snapshot.subjects, subjectCount: subjectCount, columns: snapshot.columns, subjectKeys: subjectKeys,
            studyKeys: studyKeys
        )
    }

    /// `chunks` + 1 (first subject, first row) pairs splitting the rows near equal parts, at
    /// subject boundaries; the last is (subjectCount, rowCount).
    static func chunkBoundaries(subjects: [Int32], subjectCount: Int, chunks: Int) -> [(subject: Int, row: Int)] {
        var boundaries: [(subject: Int, row: Int)] = [(0, 0)]
        for chunk in 1..<chunks {
            var row = max(boundaries[boundaries.count - 1].row, subjects.count * chunk / chunks)
            while row > 0, row < subjects.count, subjects[row] == subjects[row - 1] { row += 1 }
            boundaries.append(row < subjects.count ? (Int(subjects[row]), row) : (subjectCount, subjects.count))
        }
        boundaries.append((subjectCount, subjects.count))
        return boundaries
    }
}

/// The buffers the keying tasks share: each task writes only its own chunk's subjects and rows.
private struct KeyingBuffers: @unchecked Sendable {
    let names: UnsafeRawBufferPointer
    let subjectKeys: UnsafeMutableBufferPointer<UInt64>
    let studyKeys: UnsafeMutableBufferPointer<UInt64>
}

/// How one attribute of a row is written into the row's canonical bytes for its study key:
/// a tag (0 NULL, 1 code, 2 number), then a code as its length (4 bytes, big-endian) and
/// UTF-8 bytes, or a number as 8 bytes big-endian. The same bytes as
/// `ColumnarSnapshotBuilder.canonicalRow`, written from the columns without a String.
private enum CanonicalPart {
    case null
    /// Every code's bytes (code 0 is NULL), concatenated, and where each code's bytes start.
    case narrowCodes([UInt8], bytes: [UInt8], starts: [Int])
    case wideCodes([UInt16], bytes: [UInt8], starts: [Int])
    case narrowNumbers([Int32], nulls: Bitset?)
    case wideNumbers([Int64], nulls: Bitset?)

    static func parts(of snapshot: ColumnarSnapshot) -> [CanonicalPart] {
        snapshot.schema.attributes.indices.map { position in
            switch snapshot.columns[position] {
            case nil:
                return .null
            case .categorical(let codes):
                var bytes: [UInt8] = [0]
                var starts = [0]
                for code in snapshot.schema.attributes[position].vocabulary {
                    starts.append(bytes.count)
                    bytes.append(1)
                    RecordKeyer.appendField(Array(code.utf8), to: &bytes)
                }
                starts.append(bytes.count)
                switch codes {
                case .narrow(let values): return .narrowCodes(values, bytes: bytes, starts: starts)
                case .wide(let values): return .wideCodes(values, bytes: bytes, starts: starts)
                }
            case .numeric(.narrow(let values), let nulls):
                return .narrowNumbers(values, nulls: nulls)
            case .numeric(.wide(let values), let nulls):
                return .wideNumbers(values, nulls: nulls)
            }
        }
    }

    var maximumByteCount: Int {
        switch self {
        case .null: 1
        case .narrowCodes(_, let bytes, let starts), .wideCodes(_, let bytes, let starts):
            zip(starts, starts.dropFirst()).map { $1 - $0 }.max() ?? bytes.count
        case .narrowNumbers, .wideNumbers: 9
        }
    }

    /// Writes the value of `row` at `out`; returns the bytes written.
    @inline(__always)
    func write(row: Int, to out: UnsafeMutableRawPointer) -> Int {
        switch self {
        case .null:
            out.storeBytes(of: 0, as: UInt8.self)
            return 1
        case .narrowCodes(let codes, let bytes, let starts):
            return Self.copy(code: Int(codes[row]), bytes: bytes, starts: starts, to: out)
        case .wideCodes(let codes, let bytes, let starts):
            return Self.copy(code: Int(codes[row]), bytes: bytes, starts: starts, to: out)
        case .narrowNumbers(let values, let nulls):
            return Self.number(nulls?[row] == true ? nil : Int64(values[row]), to: out)
        case .wideNumbers(let values, let nulls):
            return Self.number(nulls?[row] == true ? nil : values[row], to: out)
        }
    }

    @inline(__always)
    private static func copy(code: Int, bytes: [UInt8], starts: [Int], to out: UnsafeMutableRawPointer) -> Int {
        let start = starts[code]
        let count = starts[code + 1] - start
        bytes.withUnsafeBytes { out.copyMemory(from: $0.baseAddress! + start, byteCount: count) }
        return count
    }

    @inline(__always)
    private static func number(_ value: Int64?, to out: UnsafeMutableRawPointer) -> Int {
        guard let value else {
            out.storeBytes(of: 0, as: UInt8.self)
            return 1
        }
        out.storeBytes(of: 2, as: UInt8.self)
        out.storeBytes(of: value.bigEndian, toByteOffset: 1, as: Int64.self)
        return 9
    }
}
