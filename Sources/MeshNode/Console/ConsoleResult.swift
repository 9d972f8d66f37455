import Aggregation
import MeshCore
import QueryPlanner

/// A released result as the console's API gives it: the shape of `meshnode query --format
/// json`, plus which cells disclosure control withheld (a label such as "<0" of a histogram
/// bin must not be taken for one) and the perturbation note to show beside the table.
struct ConsoleResult: Codable, Equatable, Sendable {
    /// One value: text, a number, null, or the marker of a withheld value ("<5").
    enum Cell: Codable, Equatable, Sendable {
        case text(String)
        case integer(Int64)
        case real(Double)
        case null

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let integer = try? container.decode(Int64.self) {
                self = .integer(integer)
            } else if let real = try? container.decode(Double.self) {
                self = .real(real)
            } else {
                self = .text(try container.decode(String.self))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let text): try container.encode(text)
            case .integer(let integer): try container.encode(integer)
            case .real(let real): try container.encode(real)
            case .null: try container.encodeNil()
            }
        }
    }

    struct Coverage: Codable, Equatable, Sendable {
        var answered: [String]
        var pruned: [String: String]
        var refused: [String: String]
        var timedOut: [String]
        var failed: [String: String]

        enum CodingKeys: String, CodingKey {
            case answered, pruned, refused, failed
            case timedOut = "timed_out"
        }
    }

    var queryID: String
    var columns: [String]
    var rows: [[Cell]]
    /// Per row and column: whether the value was withheld and shows the marker.
    var suppressed: [[Bool]]
    var k: Int
    var perturbed: Bool
    var noiseSigma: Double
    var perturbationNote: String?
    var coverage: Coverage

    enum CodingKeys: String, CodingKey {
        case columns, rows, suppressed, k, perturbed, coverage
        case queryID = "query_id"
        case noiseSigma = "noise_sigma"
        case perturbationNote = "perturbation_note"
    }

    init(_ result: FederatedResult) {
        queryID = result.queryID.description
        columns = result.table.columns
        rows = result.table.rows.map { row in
            row.map { value in
                switch value {
                case .text(let text): .text(text)
                case .integer(let integer): .integer(integer)
                case .real(let real): real.isFinite ? .real(real) : .null
                case .null: .null
                case .suppressed(let marker): .text(marker)
                }
            }
        }
        suppressed = result.table.rows.map { row in row.map { if case .suppressed = $0 { true } else { false } } }
        k = result.table.k
        perturbed = result.table.isPerturbed
        noiseSigma = result.table.noiseSigma
        perturbationNote = result.table.perturbationNote
        let sorted = { (nodes: Set<NodeID>) in nodes.sorted().map(\.rawValue) }
        let reasons = { (map: [NodeID: String]) in Dictionary(uniqueKeysWithValues: map.map { ($0.key.rawValue, $0.value) }) }
        coverage = Coverage(
            answered: sorted(result.coverage.answered), pruned: reasons(result.coverage.pruned), refused: reasons(result.coverage.refused),
            timedOut: sorted(result.coverage.timedOut), failed: reasons(result.coverage.failed)
        )
    }
}
