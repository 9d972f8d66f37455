extension SyntheticCases {
    /// DICOM PatientSex.
    public enum Sex: String, CaseIterable, Sendable {
        case male = "M"
        case female = "F"
        case other = "O"
    }

    /// ICD-10 three-character categories of the reference vocabulary.
    public enum Diagnosis: String, CaseIterable, Sendable {
        case oesophagus = "C15"
        case stomach = "C16"
        case colon = "C18"
        case rectum = "C20"
        case liver = "C22"
        case pancreas = "C25"
        case lung = "C34"
        case bone = "C40"
        case melanoma = "C43"
        case softTissue = "C49"
        case breast = "C50"
        case cervix = "C53"
        case ovary = "C56"
        case prostate = "C61"
        case testis = "C62"
        case kidney = "C64"
        case bladder = "C67"
        case eye = "C69"
        case brain = "C71"
        case thyroid = "C73"
        case adrenal = "C74"
        case hodgkinLymphoma = "C81"
        case diffuseLymphoma = "C83"

        /// Share of male patients. Sex-specific organs are exclusive; the others follow
        /// incidence ratios (bladder, liver and oesophagus about 3:1 male, thyroid about
        /// 3:1 female, male breast cancer about 1% of breast cancers).
        var maleFraction: Double {
            switch self {
            case .prostate, .testis: 1
            case .cervix, .ovary: 0
            case .breast: 0.01
            case .oesophagus: 0.75
            case .stomach: 0.64
            case .colon: 0.55
            case .rectum: 0.6
            case .liver: 0.73
            case .pancreas: 0.52
            case .lung: 0.58
            case .bone, .adrenal, .hodgkinLymphoma, .diffuseLymphoma: 0.55
            case .melanoma, .eye: 0.5
            case .softTissue: 0.56
            case .kidney: 0.63
            case .bladder: 0.77
            case .brain: 0.57
            case .thyroid: 0.26
            }
        }
    }

    /// Overall stage group.
    public enum Stage: String, CaseIterable, Sendable {
        case i = "I"
        case ii = "II"
        case iii = "III"
        case iv = "IV"
        case unknown
    }

    /// DICOM Modality.
    public enum Modality: String, CaseIterable, Sendable {
        case ct = "CT"
        case mr = "MR"
        case pt = "PT"
        case mg = "MG"
        case us = "US"
        case cr = "CR"
        case dx = "DX"
        case nm = "NM"
    }

    /// DICOM BodyPartExamined.
    public enum BodyPart: String, CaseIterable, Sendable {
        case breast = "BREAST"
        case prostate = "PROSTATE"
        case chest = "CHEST"
        case abdomen = "ABDOMEN"
        case pelvis = "PELVIS"
        case head = "HEAD"
        case headNeck = "HEADNECK"
        case brain = "BRAIN"
        case liver = "LIVER"
        case kidney = "KIDNEY"
        case spine = "SPINE"
        case extremity = "EXTREMITY"
        case wholeBody = "WHOLEBODY"

        /// Typical scan length in millimetres, which with the slice thickness sets how many
        /// images a cross-sectional series holds.
        var coverageMillimetres: Int {
            switch self {
            case .prostate: 100
            case .brain: 160
            case .head, .breast: 180
            case .kidney: 200
            case .liver: 220
            case .pelvis: 240
            case .headNeck: 280
            case .chest: 330
            case .extremity: 350
            case .abdomen, .spine: 420
            case .wholeBody: 1000
            }
        }
    }

    /// Normalised vendor.
    public enum Manufacturer: String, CaseIterable, Sendable {
        case siemens = "SIEMENS"
        case ge = "GE"
        case philips = "PHILIPS"
        case canon = "CANON"
        case fujifilm = "FUJIFILM"
        case hologic = "HOLOGIC"
        case agfa = "AGFA"
        case carestream = "CARESTREAM"
        case unitedImaging = "UNITED_IMAGING"
        case other = "OTHER"
    }

    /// What one study images: a modality on a body part.
    struct Exam: Sendable, Equatable {
        let modality: Modality
        let bodyPart: BodyPart

        init(_ modality: Modality, _ bodyPart: BodyPart) {
            self.modality = modality
            self.bodyPart = bodyPart
        }
    }
}
