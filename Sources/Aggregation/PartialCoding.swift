import SwiftProtobuf

/// Protobuf encoding of partials for the transport (Partial.proto). Decoding checks what
/// a peer could get wrong: every cell has one statistic per declared attribute, no cell
/// key repeats, counts are not negative.
extension QueryPartial {
    public func serializedBytes() throws -> [UInt8] {
        var wire = WireQueryPartial()
        wire.statisticAttributes = statisticAttributes
        // Sorted keys make the encoding deterministic, which signatures and tests rely on.
        wire.cells = cells.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { key in
            let cell = cells[key]!
            var wireCell = WireCellPartial()
            wireCell.key = key.map(WireGroupValue.init)
            wireCell.studies = cell.studies
            wireCell.subjects = cell.subjects
            wireCell.studyKey = cell.studyKey
            wireCell.subjectKey = cell.subjectKey
            wireCell.statistics = cell.statistics.map(WireNumericPartial.init)
            return wireCell
        }
        return try wire.serializedBytes()
    }

    public init(serializedBytes bytes: [UInt8]) throws(PartialDecodingError) {
        let wire: WireQueryPartial
        do {
            wire = try WireQueryPartial(serializedBytes: bytes)
        } catch {
            throw PartialDecodingError("partial is not valid protobuf: \(error)")
        }
        var cells: [[GroupValue]: CellPartial] = [:]
        for wireCell in wire.cells {
            var key: [GroupValue] = []
            for value in wireCell.key {
                switch value.value {
                case .code(let code)?: key.append(.code(code))
                case .null?: key.append(.null)
                case .bin(let bin)?: key.append(.bin(Int(bin)))
                case nil: throw PartialDecodingError("partial cell has an empty group value")
                }
            }
            guard wireCell.statistics.count == wire.statisticAttributes.count else {
                throw PartialDecodingError("partial cell has \(wireCell.statistics.count) statistics; the query declares \(wire.statisticAttributes.count)")
            }
            guard wireCell.studies >= 0, wireCell.subjects >= 0, wireCell.subjects <= wireCell.studies else {
                throw PartialDecodingError("partial cell has impossible counts (\(wireCell.studies) studies, \(wireCell.subjects) subjects)")
            }
            guard cells[key] == nil else {
                throw PartialDecodingError("partial lists the cell \(key) twice")
            }
            cells[key] = CellPartial(
                studies: wireCell.studies,
                subjects: wireCell.subjects,
                statistics: wireCell.statistics.map { NumericPartial(count: $0.count, sum: Int128($0.sum), sumOfSquares: Int128($0.sumOfSquares), key: $0.key) },
                studyKey: wireCell.studyKey,
                subjectKey: wireCell.subjectKey
            )
        }
        self.init(statisticAttributes: wire.statisticAttributes, cells: cells)
    }
}

public struct PartialDecodingError: Error, Equatable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension WireGroupValue {
    init(_ value: GroupValue) {
        self.init()
        switch value {
        case .code(let code): self.code = code
        case .null: self.null = true
        case .bin(let bin): self.bin = Int32(bin)
        }
    }
}

extension WireNumericPartial {
    init(_ partial: NumericPartial) {
        self.init()
        count = partial.count
        sum = WireInt128Value(partial.sum)
        sumOfSquares = WireInt128Value(partial.sumOfSquares)
        key = partial.key
    }
}

extension WireInt128Value {
    init(_ value: Int128) {
        self.init()
        high = Int64(truncatingIfNeeded: value >> 64)
        low = UInt64(truncatingIfNeeded: value)
    }
}

extension Int128 {
    init(_ wire: WireInt128Value) {
        self = Int128(wire.high) << 64 | Int128(wire.low)
    }
}
