import CFuzzerDriver
import Aggregation
import Gossip
import MeshCore
import QueryPlanner

/// Bytes as another node (or a researcher) could send them, to every decoder a node runs
/// on them before any signature is checked; the first byte picks the decoder. A decoder
/// must return a value or an error: never crash, trap on arithmetic or recurse without
/// bound (a plan's condition tree is depth-checked while it decodes).
func fuzzWire(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 14 {
    case 0: _ = try? SignedQueryPlan(decoding: bytes)
    case 1: _ = try? QueryPlan(decoding: bytes)
    case 2: _ = try? SubtreeResult(decoding: bytes)
    case 3: _ = try? UnmaskRequest(decoding: bytes)
    case 4: _ = try? SignedSubmission(decoding: bytes)
    case 5: _ = try? QuerySubmission(decoding: bytes)
    case 6: _ = try? FederatedResult(decoding: bytes)
    case 7: _ = try? Coverage(decoding: bytes)
    case 8: _ = try? QueryPartial(serializedBytes: bytes)
    case 9: _ = try? RevocationList(decoding: bytes)
    case 10: _ = try? SignedCatalogue(serializedBytes: bytes)
    case 11: _ = try? ResearcherSubmission(decoding: bytes)
    case 12: _ = try? Query(decoding: bytes)
    default: _ = try? SWIMMessage(serializedBytes: bytes)
    }
    return 0
}

/// The executable's entry point: libFuzzer's driver over ``fuzzWire``.
@_cdecl("FuzzWire_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzWire(data, size) }
}
