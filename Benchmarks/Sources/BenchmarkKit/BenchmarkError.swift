/// A benchmark that cannot produce a trustworthy figure: a tool is missing, its output is not
/// what was expected, or a round trip returned the wrong bytes.
public struct BenchmarkError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
