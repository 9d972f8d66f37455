import Aggregation
import CFuzzerDriver
import MeshCore
import QueryPlanner

let vocabulary = QueryVocabulary(schema: .reference)

/// Any text as a researcher's query: the parser must answer with a query or a positioned
/// error, within its limits on size, tests and nesting, and never crash or recurse without
/// bound. A parsed query must render to text that parses back to the same query.
func fuzzSQL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let query = try? QueryParser.parse(text, vocabulary: vocabulary) else { return 0 }
    let again: Query
    do {
        again = try QueryParser.parse(query.normalisedText, vocabulary: vocabulary)
    } catch {
        fatalError("the normalised text of a parsed query does not parse: \(query.normalisedText): \(error)")
    }
    guard again == query else { fatalError("the normalised text parses to another query: \(query.normalisedText)") }
    return 0
}

/// The executable's entry point: libFuzzer's driver over ``fuzzSQL``.
@_cdecl("FuzzSQL_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzSQL(data, size) }
}
