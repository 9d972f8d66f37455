import MeshCore

extension SyntheticCases {
    /// Slice thickness and image count of one study, which depend on the modality, the
    /// body part, the scanner and the year.
    enum Acquisition {
        /// Share of cross-sectional studies whose header lacks the slice thickness
        /// (secondary captures, reformats, imported studies).
        static let missingThicknessShare = 0.03
        /// Share of nuclear-medicine studies that are SPECT rather than planar scans.
        static let spectShare = 0.25

        /// Mammograms: two views (CC and MLO) of each breast; one side after a
        /// mastectomy; sometimes extra views.
        private static let mammographyImages = Weighted<Int>([4: 80, 2: 5, 5: 7, 6: 5, 8: 3])
        /// Chest radiographs: PA, often with a lateral.
        private static let chestRadiographImages = Weighted<Int>([1: 45, 2: 50, 3: 5])
        /// Limb radiographs: usually two perpendicular views.
        private static let otherRadiographImages = Weighted<Int>([1: 10, 2: 60, 3: 30])

        static func draw(_ exam: Exam, year: Int, fleet: Fleet, random: inout SeededRandom) -> Study {
            let manufacturer = fleet.manufacturer(for: exam.modality, year: year, random: &random)
            let thickness: Int?
            let images: Int
            switch exam.modality {
            case .ct:
                thickness = recorded(ctThickness(manufacturer, year: year, random: &random), random: &random)
                // Thin and thick reconstructions, plus one or two scout images.
                let reconstructions = 1 + random.integer(in: 0...3)
                images = (slices(exam.bodyPart, thickness) * reconstructions + random.integer(in: 1...2)).clamped(to: 100...1500)
            case .mr:
                thickness = recorded(random.element(of: mrThicknesses(exam.bodyPart)), random: &random)
                var count = slices(exam.bodyPart, thickness) * random.integer(in: 4...12)
                // Dynamic contrast series repeat the volume many times.
                if exam.bodyPart == .breast || exam.bodyPart == .prostate || exam.bodyPart == .liver {
                    count += slices(exam.bodyPart, thickness) * random.integer(in: 5...30)
                }
                images = count.clamped(to: 100...3000)
            case .pt:
                // Thinner reconstructions on newer (digital) PET.
                let thinner = year >= 2015 && random.unitInterval() < 0.7
                thickness = recorded(random.element(of: thinner ? [200, 250, 300] : [300, 327, 400, 500]), random: &random)
                // Attenuation-corrected and often also uncorrected images.
                let series = random.unitInterval() < 0.6 ? 2 : 1
                images = (slices(exam.bodyPart, thickness) * series).clamped(to: 200...800)
            case .nm:
                if random.unitInterval() < spectShare {
                    thickness = recorded(random.element(of: [240, 330, 442, 480]), random: &random)
                    images = random.integer(in: 60...256)
                } else {
                    // Planar scintigraphy (whole-body bone or MIBG scan): anterior and
                    // posterior views and a few spot views; no slices.
                    thickness = nil
                    images = random.integer(in: 2...10)
                }
            case .mg:
                thickness = nil
                images = mammographyImages.draw(&random)
            case .cr, .dx:
                thickness = nil
                images = (exam.bodyPart == .chest ? chestRadiographImages : otherRadiographImages).draw(&random)
            case .us:
                thickness = nil
                let spread = random.unitInterval()
                images = 6 + Int(50 * spread * spread)
            }
            return Study(
                modality: exam.modality, bodyPart: exam.bodyPart, manufacturer: manufacturer,
                year: year, sliceThicknessHundredths: thickness, imageCount: images
            )
        }

        /// `thickness`, or `nil` for the few studies whose header did not record it.
        private static func recorded(_ thickness: Int, random: inout SeededRandom) -> Int? {
            random.unitInterval() < missingThicknessShare ? nil : thickness
        }

        /// Slices of one series over the body part; 3 mm assumed where unrecorded.
        private static func slices(_ bodyPart: BodyPart, _ thicknessHundredths: Int?) -> Int {
            bodyPart.coverageMillimetres * 100 / (thicknessHundredths ?? 300)
        }

        /// CT reconstruction thickness in hundredths of a millimetre. Each vendor has its
        /// own set (GE's 1.25/2.5/3.75/5, Siemens' 0.6/0.75/1/1.5/3/5, ...); older studies
        /// were mostly archived thick, newer ones thin.
        private static func ctThickness(_ manufacturer: Manufacturer, year: Int, random: inout SeededRandom) -> Int {
            let choices: [Int] = switch manufacturer {
            case .siemens: [60, 75, 100, 150, 300, 500]
            case .ge: [125, 250, 375, 500]
            case .philips: [67, 90, 100, 200, 300, 500]
            case .canon: [50, 100, 200, 300, 500]
            case .unitedImaging: [50, 100, 150, 300, 500]
            default: [100, 200, 300, 500]
            }
            let thin = random.unitInterval() < (year >= 2013 ? 0.75 : 0.35)
            let half = choices.count / 2
            return choices[thin ? random.integer(in: 0...half - 1) : random.integer(in: half...choices.count - 1)]
        }

        /// MR slice thickness by body part: 3D sequences at ~1 mm for brain and breast,
        /// 3 mm T2 for the prostate (PI-RADS), 4-6 mm for the body.
        private static func mrThicknesses(_ bodyPart: BodyPart) -> [Int] {
            switch bodyPart {
            case .brain, .head: [100, 100, 300, 400, 500]
            case .prostate: [300, 300, 350, 400]
            case .breast: [100, 150, 200, 300]
            case .headNeck: [200, 300, 400]
            case .spine: [300, 400]
            case .pelvis, .extremity: [300, 400, 500]
            case .abdomen, .liver, .kidney: [300, 400, 500, 600]
            case .chest, .wholeBody: [400, 500, 600]
            }
        }
    }
}

extension Comparable {
    fileprivate func clamped(to range: ClosedRange<Self>) -> Self {
        min(max(self, range.lowerBound), range.upperBound)
    }
}
