/// The kind of centre a synthetic site imitates.
///
/// Real centres differ in whom they treat and how they image them, and the federation has
/// to cope with that (docs/ARCHITECTURE.md, "Data model"): a children's hospital sees embryonal
/// tumours imaged with ultrasound and MR, a urology centre is mostly prostate cancer, and
/// rare cancers make the small cells that the disclosure thresholds exist for. A profile
/// fixes the case mix, the age structure, how much follow-up imaging a patient gets, the
/// years the digital archive covers and the scanner fleet.
public enum SiteProfile: String, CaseIterable, Sendable {
    /// A general hospital's cancer centre: a broad adult case mix roughly in proportion to
    /// European incidence (breast, lung, prostate and colorectal first) with a handful of
    /// rare cancers (thyroid, testis, eye, bone, adrenal).
    case general
    /// A urology centre: four fifths prostate cancer, then bladder, kidney and testis.
    case prostate
    /// A breast unit: almost only breast cancer, imaged mostly by mammography and ultrasound.
    case breast
    /// A children's hospital: CNS tumours, neuroblastoma, Wilms tumour, sarcomas, lymphoma
    /// and retinoblastoma, all under 19, imaged with ultrasound and MR rather than CT.
    case paediatric
    /// A thoracic centre: lung cancer, with oesophageal cancer and mediastinal lymphoma.
    case lung

    /// Starts every pseudonym, so that files of different synthetic sites never share one.
    public var pseudonymPrefix: String {
        switch self {
        case .general: "GEN-"
        case .prostate: "PRO-"
        case .breast: "BRE-"
        case .paediatric: "PAE-"
        case .lung: "LNG-"
        }
    }
}
