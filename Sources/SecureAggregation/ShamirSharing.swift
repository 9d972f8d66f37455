/// Shamir's secret sharing over GF(2^8), byte by byte (Shamir, "How to share a secret",
/// 1979): a secret of any length is split into shares numbered 1 to 255, any `threshold`
/// of which rebuild it exactly, while fewer reveal nothing about it. Randomness is an input.
public enum ShamirSharing {
    public struct Share: Sendable, Equatable {
        /// The evaluation point, 1 to 255.
        public let x: UInt8
        public let bytes: [UInt8]

        public init(x: UInt8, bytes: [UInt8]) {
            self.x = x
            self.bytes = bytes
        }
    }

    /// Shares of `secret` at the points `xs` (distinct, nonzero).
    public static func split(_ secret: [UInt8], threshold: Int, at xs: [UInt8], using random: inout some RandomNumberGenerator) -> [Share] {
        precondition(threshold >= 1 && threshold <= xs.count, "the threshold must be between 1 and the number of shares")
        precondition(Set(xs).count == xs.count && !xs.contains(0), "share points must be distinct and nonzero")
        var shares = xs.map { ($0, [UInt8]()) }
        for byte in secret {
            // Coefficients: the secret byte, then threshold − 1 random ones.
            var coefficients = [byte]
            for _ in 1..<threshold { coefficients.append(UInt8.random(in: 0...255, using: &random)) }
            for index in shares.indices {
                shares[index].1.append(evaluate(coefficients, at: shares[index].0))
            }
        }
        return shares.map { Share(x: $0.0, bytes: $0.1) }
    }

    /// The secret from at least `threshold` shares of equal length; nil when the shares do not
    /// fit together (different lengths or repeated points).
    public static func combine(_ shares: [Share]) -> [UInt8]? {
        guard let length = shares.first?.bytes.count, shares.allSatisfy({ $0.bytes.count == length }),
            Set(shares.map(\.x)).count == shares.count, !shares.contains(where: { $0.x == 0 })
        else { return nil }
        var secret = [UInt8](repeating: 0, count: length)
        // Lagrange interpolation at 0: Σ y_i · Π_{j≠i} x_j / (x_j − x_i); minus is plus here.
        for (i, share) in shares.enumerated() {
            var weight: UInt8 = 1
            for (j, other) in shares.enumerated() where j != i {
                weight = GF256.multiply(weight, GF256.divide(other.x, other.x ^ share.x))
            }
            for index in 0..<length { secret[index] ^= GF256.multiply(share.bytes[index], weight) }
        }
        return secret
    }

    private static func evaluate(_ coefficients: [UInt8], at x: UInt8) -> UInt8 {
        var result: UInt8 = 0
        for coefficient in coefficients.reversed() { result = GF256.multiply(result, x) ^ coefficient }
        return result
    }
}

/// Arithmetic in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1, through
/// logarithm tables of the generator 3.
enum GF256 {
    static let tables: (log: [Int], exp: [UInt8]) = {
        var log = [Int](repeating: 0, count: 256)
        var exp = [UInt8](repeating: 0, count: 510)
        var value: UInt16 = 1
        for power in 0..<255 {
            exp[power] = UInt8(value)
            exp[power + 255] = UInt8(value)
            log[Int(value)] = power
            // value · 3 = value · 2 + value, reduced by the polynomial.
            var doubled = value << 1
            if doubled & 0x100 != 0 { doubled ^= 0x11B }
            value = doubled ^ value
        }
        return (log, exp)
    }()

    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        guard a != 0, b != 0 else { return 0 }
        return tables.exp[tables.log[Int(a)] + tables.log[Int(b)]]
    }

    static func divide(_ a: UInt8, _ b: UInt8) -> UInt8 {
        precondition(b != 0, "division by zero in GF(256)")
        guard a != 0 else { return 0 }
        return tables.exp[tables.log[Int(a)] + 255 - tables.log[Int(b)]]
    }
}
