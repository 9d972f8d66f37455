import MeshCore

/// The draws the generator is built from, each from whole `next()` outputs with plain
/// arithmetic, so that a seed gives the same site on every platform and toolchain (the
/// standard library's `random(in:using:)` does not promise its algorithm).
extension SeededRandom {
    /// A uniform double in [0, 1) from the top 53 bits.
    mutating func unitInterval() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard-normal approximation: the centred sum of four uniforms (Irwin–Hall),
    /// scaled to unit variance. Plain arithmetic, unlike Box–Muller's log and cosine, so
    /// the output is bit-identical on every platform; bounded at ±3.46, which suits ages.
    mutating func approximatelyNormal() -> Double {
        let sum = unitInterval() + unitInterval() + unitInterval() + unitInterval()
        return (sum - 2) * 1.7320508075688772
    }

    /// One of `choices`, uniformly.
    mutating func element<T>(of choices: [T]) -> T {
        choices[Int(next() % UInt64(choices.count))]
    }

    /// An integer in `range`, uniformly (modulo bias is negligible for these small ranges).
    mutating func integer(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}
