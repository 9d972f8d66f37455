import CFuzzerDriver

/// Any text as an operator's node.yaml, read by the node's own loader (NodeConfig.swift,
/// LoadSettings.swift and NodeConfig+Settings.swift are the node's files, linked into this
/// target): it must give a configuration or an error naming the file, and never crash. A
/// configuration it accepts must survive a rewrite: `meshnode init` writes `yaml()`, and
/// reading that back gives the same configuration.
func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let config = try? NodeConfig.parse(text, file: "node.yaml") else { return 0 }
    let again: NodeConfig
    do {
        again = try NodeConfig.parse(config.yaml(), file: "node.yaml")
    } catch {
        fatalError("the rewrite of an accepted configuration does not read back: \(error)\n\(config.yaml())")
    }
    guard again.load == config.load, again.policy == config.policy, again.gossip == config.gossip, again.nodeID == config.nodeID else {
        fatalError("the rewrite of an accepted configuration reads back differently:\n\(config.yaml())")
    }
    return 0
}

/// The executable's entry point: libFuzzer's driver over ``fuzzConfig``.
@_cdecl("FuzzConfig_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzConfig(data, size) }
}
