import Foundation

/// One imaging study as a site's `cases` row needs it, whichever source it came from (the
/// headers of exported files, or a DICOM server's QIDO-RS answers): the patient-level
/// attributes the study's files carry, the attributes of its primary series, and how many
/// instances it holds in all.
///
/// The reference table has one row per study but a study has several series, which may
/// disagree (a PET/CT study has PT and CT series; a scout series has no slice thickness).
/// ``DICOMStudyAssembler`` picks the *primary series*, the one with most instances (ties
/// broken by the smaller Series Instance UID), and takes modality, body part, manufacturer
/// and slice thickness from it, falling back to the next series in that order for any the
/// primary series lacks. Slice thickness is the thinnest a series' instances declare.
public struct DICOMStudy: Equatable, Sendable {
    public var studyInstanceUID: String
    /// Patient ID (0010,0020): the site's pseudonym, the key the clinical export is joined on.
    public var patientID: String?
    public var patientSex: String?
    public var patientAge: DICOMAge?
    public var patientBirthDate: DICOMDate?
    public var studyDate: DICOMDate?
    public var modality: String?
    public var bodyPartExamined: String?
    public var manufacturer: String?
    /// In mm, exact as written.
    public var sliceThickness: Decimal?
    /// Instances in all the study's series.
    public var instanceCount: Int
    public var seriesCount: Int

    public init(
        studyInstanceUID: String, patientID: String? = nil, patientSex: String? = nil, patientAge: DICOMAge? = nil,
        patientBirthDate: DICOMDate? = nil, studyDate: DICOMDate? = nil, modality: String? = nil, bodyPartExamined: String? = nil,
        manufacturer: String? = nil, sliceThickness: Decimal? = nil, instanceCount: Int, seriesCount: Int
    ) {
        self.studyInstanceUID = studyInstanceUID
        self.patientID = patientID
        self.patientSex = patientSex
        self.patientAge = patientAge
        self.patientBirthDate = patientBirthDate
        self.studyDate = studyDate
        self.modality = modality
        self.bodyPartExamined = bodyPartExamined
        self.manufacturer = manufacturer
        self.sliceThickness = sliceThickness
        self.instanceCount = instanceCount
        self.seriesCount = seriesCount
    }

    /// The patient's age in years on the study date: Patient's Age (0010,1010) when given,
    /// otherwise the whole years from Patient's Birth Date to Study Date; nil when neither
    /// can be known.
    public var ageInYears: Double? {
        if let patientAge { return patientAge.years }
        guard let birth = patientBirthDate, let date = studyDate, birth <= date else { return nil }
        var years = date.year - birth.year
        if (date.month, date.day) < (birth.month, birth.day) { years -= 1 }
        return Double(years)
    }
}

/// The study-level attributes of one study, as a DICOM server reports them (QIDO-RS
/// `/studies`) or as one file carries them.
public struct DICOMStudyLevel: Equatable, Sendable {
    public var studyInstanceUID: String
    public var patientID: String?
    public var patientSex: String?
    public var patientAge: DICOMAge?
    public var patientBirthDate: DICOMDate?
    public var studyDate: DICOMDate?

    public init(
        studyInstanceUID: String, patientID: String? = nil, patientSex: String? = nil, patientAge: DICOMAge? = nil,
        patientBirthDate: DICOMDate? = nil, studyDate: DICOMDate? = nil
    ) {
        self.studyInstanceUID = studyInstanceUID
        self.patientID = patientID
        self.patientSex = patientSex
        self.patientAge = patientAge
        self.patientBirthDate = patientBirthDate
        self.studyDate = studyDate
    }
}

/// The series-level attributes of one series (QIDO-RS `/studies/{uid}/series`, or the files
/// of one series counted together).
public struct DICOMSeriesLevel: Equatable, Sendable {
    public var seriesInstanceUID: String
    public var modality: String?
    public var bodyPartExamined: String?
    public var manufacturer: String?
    /// The thinnest slice thickness the series' instances declare, in mm.
    public var sliceThickness: Decimal?
    public var instanceCount: Int

    public init(
        seriesInstanceUID: String, modality: String? = nil, bodyPartExamined: String? = nil, manufacturer: String? = nil,
        sliceThickness: Decimal? = nil, instanceCount: Int
    ) {
        self.seriesInstanceUID = seriesInstanceUID
        self.modality = modality
        self.bodyPartExamined = bodyPartExamined
        self.manufacturer = manufacturer
        self.sliceThickness = sliceThickness
        self.instanceCount = instanceCount
    }
}
