import Aggregation
import SecureAggregation

/// A partial as a vector of the secure-aggregation ring (docs/PRIVACY.md, "Secure
/// aggregation"): every enumerated cell of the plan, in key order, with or without data,
/// as `studies, persons, study key, person key` and then `count, sum, sum of squares, key`
/// per statistic. Every node encodes the same layout from the plan alone, so masked
/// vectors add up position by position, and the vector's length says nothing about which
/// cells a site holds.
public struct PartialRingEncoding: Sendable, Equatable {
    public let cells: [[GroupValue]]
    public let statisticAttributes: [String]

    public init(plan: QueryPlan) {
        cells = plan.cells.allCells.sorted { $0.lexicographicallyPrecedes($1) }
        statisticAttributes = plan.query.statisticAttributes
    }

    var valuesPerCell: Int { 4 + 4 * statisticAttributes.count }

    public var length: Int { cells.count * valuesPerCell }

    /// The vector of `partial`. Cells the plan does not enumerate cannot be encoded: the
    /// caller has already refused such a partial (a provider's own executor never makes one).
    public func encode(_ partial: QueryPartial) -> RingVector {
        var elements: [UInt128] = []
        elements.reserveCapacity(length)
        for key in cells {
            let cell = partial.cells[key] ?? CellPartial(statisticCount: statisticAttributes.count)
            elements += [UInt128(bitPattern: Int128(cell.studies)), UInt128(bitPattern: Int128(cell.subjects)), UInt128(cell.studyKey), UInt128(cell.subjectKey)]
            for statistic in cell.statistics {
                elements += [UInt128(bitPattern: Int128(statistic.count)), UInt128(bitPattern: statistic.sum), UInt128(bitPattern: statistic.sumOfSquares), UInt128(statistic.key)]
            }
        }
        return RingVector(elements: elements)
    }

    /// The partial a summed vector stands for: the cells with studies, keys reduced modulo
    /// 2^64 (they sum modulo 2^64 anyway). A count outside 0...Int64.max cannot come from
    /// honest providers and is an error, never a released value.
    public func decode(_ vector: RingVector) throws(PartialDecodingFailure) -> QueryPartial {
        guard vector.count == length else {
            throw PartialDecodingFailure("the vector has \(vector.count) elements; the plan's layout has \(length)")
        }
        var partial = QueryPartial(statisticAttributes: statisticAttributes)
        for (index, key) in cells.enumerated() {
            let base = index * valuesPerCell
            let values = Array(vector.elements[base..<(base + valuesPerCell)])
            func count(_ element: UInt128, _ what: String) throws(PartialDecodingFailure) -> Int64 {
                let signed = Int128(bitPattern: element)
                guard signed >= 0, signed <= Int128(Int64.max) else {
                    throw PartialDecodingFailure("the cell \(key) sums to \(signed) \(what)")
                }
                return Int64(signed)
            }
            let studies = try count(values[0], "studies")
            let subjects = try count(values[1], "persons")
            guard studies > 0 else { continue }
            var statistics: [NumericPartial] = []
            for position in statisticAttributes.indices {
                let offset = 4 + 4 * position
                statistics.append(
                    NumericPartial(
                        count: try count(values[offset], "values of \(statisticAttributes[position])"),
                        sum: Int128(bitPattern: values[offset + 1]),
                        sumOfSquares: Int128(bitPattern: values[offset + 2]),
                        key: UInt64(truncatingIfNeeded: values[offset + 3])
                    )
                )
            }
            partial.cells[key] = CellPartial(
                studies: studies, subjects: subjects, statistics: statistics, studyKey: UInt64(truncatingIfNeeded: values[2]),
                subjectKey: UInt64(truncatingIfNeeded: values[3])
            )
        }
        return partial
    }
}

public struct PartialDecodingFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
