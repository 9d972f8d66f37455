import MeshCore

extension SyntheticCases {
    /// A discrete distribution, drawn with one uniform variate and a linear scan (the
    /// tables hold at most a few dozen entries).
    struct Weighted<Value: Sendable>: Sendable {
        let values: [Value]
        private let cumulative: [Double]

        init(_ pairs: KeyValuePairs<Value, Double>) {
            var total = 0.0
            var values: [Value] = []
            var cumulative: [Double] = []
            for (value, weight) in pairs {
                precondition(weight >= 0, "weights cannot be negative")
                total += weight
                values.append(value)
                cumulative.append(total)
            }
            precondition(total > 0, "a distribution needs a positive weight")
            self.values = values
            self.cumulative = cumulative.map { $0 / total }
        }

        func draw(_ random: inout SeededRandom) -> Value {
            let target = random.unitInterval()
            for index in cumulative.indices where target < cumulative[index] {
                return values[index]
            }
            return values[values.count - 1]
        }
    }

    /// Age at diagnosis: a split normal (different spreads below and above the mode, since
    /// cancer ages trail off towards the young) truncated to `range` years.
    struct AgeModel: Sendable {
        let mode: Double
        let below: Double
        let above: Double
        let range: ClosedRange<Double>

        func drawTenths(_ random: inout SeededRandom) -> Int {
            while true {
                let z = random.approximatelyNormal()
                let age = mode + z * (z < 0 ? below : above)
                if range.contains(age) {
                    return Int((age * 10).rounded(.down))
                }
            }
        }
    }

    /// How a cohort is imaged: the exam that usually comes first (the one that finds or
    /// stages the cancer) and the mix of all later studies.
    struct ExamPlan: Sendable {
        let primary: Exam
        let mix: Weighted<Exam>
    }

    /// Patients with one diagnosis at one kind of site.
    struct Cohort: Sendable {
        let diagnosis: Diagnosis
        let age: AgeModel
        let stages: Weighted<Stage>
        let exams: ExamPlan
    }
}
