import Foundation

/// Samples the discrete Gaussian distribution N_Z(0, σ²): integer-valued noise with
/// P(x) ∝ exp(−x² / 2σ²), by the rejection sampler of Canonne, Kamath and Steinke, "The
/// Discrete Gaussian for Differential Privacy" (NeurIPS 2020), Algorithm 3: a discrete
/// Laplace proposal of scale t = ⌊σ⌋ + 1, accepted with probability
/// exp(−(|y| − σ²/t)² / 2σ²).
///
/// The Bernoulli trials use double-precision exp(), not the paper's exact rational
/// arithmetic; the distribution differs from the exact one by far less than the sampling
/// error of any test. Randomness is an input: the release seeds it from a cell key, so the
/// same cell always gets the same noise.
public enum DiscreteGaussian {
    /// One sample; 0 when σ is 0.
    public static func sample(sigma: Double, using random: inout some RandomNumberGenerator) -> Int64 {
        precondition(sigma >= 0 && sigma.isFinite, "σ must be a finite number of at least 0")
        guard sigma > 0 else { return 0 }
        let t = floor(sigma) + 1
        let tInteger = UInt64(t)
        let varianceTwice = 2 * sigma * sigma
        while true {
            // Discrete Laplace of scale t: |x| = u + t·v with u uniform below t, accepted with
            // probability exp(−u/t), and v geometric with P(v) ∝ e^(−v).
            let u = random.next(upperBound: tInteger)
            guard bernoulli(exp(-Double(u) / t), using: &random) else { continue }
            var v: UInt64 = 0
            while bernoulli(exp(-1), using: &random) { v += 1 }
            let magnitude = Double(u) + t * Double(v)
            let negative = random.next() & 1 == 1
            // +0 and −0 are one outcome: reject one of them so 0 is not drawn twice as often.
            if negative, magnitude == 0 { continue }
            let distance = magnitude - sigma * sigma / t
            guard bernoulli(exp(-distance * distance / varianceTwice), using: &random) else { continue }
            let value = Int64(magnitude)
            return negative ? -value : value
        }
    }

    private static func bernoulli(_ probability: Double, using random: inout some RandomNumberGenerator) -> Bool {
        // 53 random bits: a uniform double in [0, 1).
        Double(random.next() >> 11) * 0x1p-53 < probability
    }
}
