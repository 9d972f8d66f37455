import ArgumentParser
import Foundation
import MeshCore
import QueryPlanner
import Transport

/// `meshnode query`: a researcher asks the whole federation through any node. The node
/// plans the query, runs it down the aggregation tree and answers with the released result
/// and its coverage; this command only connects with the researcher's certificate over
/// mutual TLS and prints what comes back.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Ask the federation a question through any node, with a researcher certificate.",
        discussion: """
            Example:
              meshnode query --node 127.0.0.1:7400 --identity alice --ca alice/ca.crt \\
                "SELECT COUNT(DISTINCT subject) FROM cases WHERE diagnosis = 'C61' GROUP BY modality"

            --node, --identity and --ca default to $ONCOMESH_NODE, $ONCOMESH_IDENTITY and $ONCOMESH_CA.

            Exit status: 0 for a complete result; 2 for a partial one (printed as well: some
            provider failed, was not alive or timed out; pruned and refused providers do not
            count); 1 for an error (no result).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    @OptionGroup var connection: ResearcherConnectionOptions

    @Option(help: "Seconds the federation has to answer.")
    var timeout: Double = Double(QuerySubmission.defaultTimeoutMilliseconds) / 1000

    @Option(help: "Output format: table, json or csv.")
    var format: Format = .table

    @Option(help: "Children per node in the aggregation tree (default \(QuerySubmission.defaultFanout)).")
    var fanout: Int?

    @Flag(help: "Ask for the plaintext tree, without secure aggregation, to compare the two; only providers whose policy sets plaintext_partials: allow answer it.")
    var plaintextTree = false

    @Argument(help: "The query, e.g. \"SELECT COUNT(*) FROM cases GROUP BY modality\".")
    var sql: String

    func validate() throws {
        let milliseconds = timeout * 1000
        guard milliseconds >= Double(QuerySubmission.timeoutMinMilliseconds), milliseconds <= Double(QuerySubmission.timeoutMaxMilliseconds) else {
            throw ValidationError("--timeout must be from \(Double(QuerySubmission.timeoutMinMilliseconds) / 1000) to \(QuerySubmission.timeoutMaxMilliseconds / 1000) seconds; got \(timeout)")
        }
        if let fanout, fanout < 1 || fanout > QuerySubmission.fanoutMax {
            throw ValidationError("--fanout must be from 1 to \(QuerySubmission.fanoutMax); got \(fanout)")
        }
    }

    func run() async throws {
        let (address, credential) = try connection.resolved()
        let timeoutMilliseconds = Int64(timeout * 1000)
        let result = try await Self.ask(
            QuerySubmission(sql: sql, timeoutMilliseconds: timeoutMilliseconds, fanout: fanout, plaintextTree: plaintextTree),
            node: address,
            credential: credential
        )
        switch format {
        case .table: print(result.tableText(), terminator: "")
        case .json: print(result.json())
        case .csv: print(result.csv(), terminator: "")
        }
        if let code = Self.exitCode(for: result.coverage) { throw code }
    }

    /// Exit status 2 for a partial result: a provider planned against failed, was not alive
    /// at the origin, or did not answer in time; a rerun may cover it. Pruned and refused
    /// providers do not count: the data or the provider's policy leaves them out, and would
    /// again. nil (status 0) for a complete result; errors exit with 1.
    static func exitCode(for coverage: Coverage) -> ExitCode? {
        coverage.failed.isEmpty && coverage.timedOut.isEmpty ? nil : Self.partialExitCode
    }

    static let partialExitCode = ExitCode(2)

    /// Connects to `node` with `credential`, submits the query and waits for the result a
    /// little longer than the federation's deadline.
    static func ask(_ submission: QuerySubmission, node: PeerAddress, credential: Credential) async throws -> FederatedResult {
        let response = try await MeshSession.exchange(with: node, credential: credential, timeout: .milliseconds(submission.timeoutMilliseconds + 5_000)) { nodeID in
            // Signed for this origin only, under a fresh id: every provider checks it.
            var random = SystemRandomNumberGenerator()
            let signed = try submission.signed(for: nodeID, by: credential, nowMilliseconds: UnixMilliseconds.now(), random: &random)
            var request = Envelope()
            request.kind = .querySubmit
            request.body = Data(signed.encoded())
            return request
        }
        switch response.status {
        case .ok:
            do {
                return try FederatedResult(decoding: Array(response.body))
            } catch {
                throw CommandFailure("the answer of \(node) does not decode: \(error.message)")
            }
        case .invalidRequest:
            throw CommandFailure("the query was not accepted: \(response.statusMessage)")
        case .busy:
            throw CommandFailure("\(node) is busy: \(response.statusMessage)")
        default:
            throw CommandFailure("\(node) refused the query: \(response.statusMessage)")
        }
    }
}
