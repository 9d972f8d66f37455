import Crypto
import MeshCore

/// The noise on one released value, drawn from a generator seeded by the value's cell key
/// (docs/PRIVACY.md, "Cell keys"): the same records give the same noise, in any query, at
/// any origin, however often asked; records that differ by one give unrelated noise.
///
/// The seed is SHA-256 over a domain tag, the value's label ("persons", "studies",
/// "count:age", "sum:age", "squares:age") and the cell key, so the values of one cell get
/// independent noise even when their records are the same. A value over no records (a true
/// zero) gets no noise: there is no record whose presence it could betray, and an empty
/// cell always reads below K.
public enum CellKeyNoise {
    public static func noise(label: String, cellKey: UInt64, sigma: Double, recordCount: Int64) -> Int64 {
        guard sigma > 0, recordCount > 0 else { return 0 }
        var random = SeededRandom(seed: seed(label: label, cellKey: cellKey))
        return DiscreteGaussian.sample(sigma: sigma, using: &random)
    }

    static func seed(label: String, cellKey: UInt64) -> UInt64 {
        var hasher = SHA256()
        hasher.update(data: Array("oncomesh-cell-noise-v1".utf8) + [0])
        hasher.update(data: Array(label.utf8) + [0])
        withUnsafeBytes(of: cellKey.bigEndian) { hasher.update(bufferPointer: $0) }
        return hasher.finalize().withUnsafeBytes { bytes in bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
    }
}
