import Foundation

/// What the header of one DICOM file says about the study it belongs to: the attributes a
/// site's `cases` row (one row per imaging study) is built from, typed, with DICOM's padding
/// removed. An attribute the file does not have, or has empty (type 2 attributes may be
/// empty, PS3.5 section 7.4), is nil.
public struct DICOMFileHeader: Equatable, Sendable {
    public var transferSyntaxUID: String
    public var sopInstanceUID: String?
    public var studyInstanceUID: String?
    public var seriesInstanceUID: String?
    public var modality: String?
    public var bodyPartExamined: String?
    public var manufacturer: String?
    /// Nominal slice thickness in mm (DS), exact as written.
    public var sliceThickness: Decimal?
    public var studyDate: DICOMDate?
    public var patientID: String?
    public var patientSex: String?
    public var patientAge: DICOMAge?
    public var patientBirthDate: DICOMDate?
    /// Attributes present but not valid for their VR (a DS that is no number, a DA that is
    /// no date), with their text: an import can report them rather than lose them silently.
    public var unparsedValues: [DICOMTag: String]
    /// Where the top-level pixel data element starts, nil when the file has none.
    public var pixelDataOffset: Int?
    /// How many bytes were read from the file: the header plus at most one read chunk, however
    /// large the pixel data behind it.
    public var bytesRead: Int

    /// The attributes read from the dataset; the typed fields are parsed from their text.
    static let textTags: [DICOMTag] = [
        .sopInstanceUID, .studyInstanceUID, .seriesInstanceUID, .modality, .bodyPartExamined,
        .manufacturer, .sliceThickness, .studyDate, .patientID, .patientSex, .patientAge,
        .patientBirthDate,
    ]

    init(transferSyntaxUID: String, text: [DICOMTag: String], pixelDataOffset: Int?, bytesRead: Int) {
        self.transferSyntaxUID = transferSyntaxUID
        self.pixelDataOffset = pixelDataOffset
        self.bytesRead = bytesRead
        var unparsed: [DICOMTag: String] = [:]
        func value(_ tag: DICOMTag) -> String? {
            guard let value = text[tag], !value.isEmpty else { return nil }
            return value
        }
        func parsed<T>(_ tag: DICOMTag, _ parse: (String) -> T?) -> T? {
            guard let text = value(tag) else { return nil }
            guard let result = parse(text) else {
                unparsed[tag] = text
                return nil
            }
            return result
        }
        sopInstanceUID = value(.sopInstanceUID)
        studyInstanceUID = value(.studyInstanceUID)
        seriesInstanceUID = value(.seriesInstanceUID)
        modality = value(.modality)
        bodyPartExamined = value(.bodyPartExamined)
        manufacturer = value(.manufacturer)
        sliceThickness = parsed(.sliceThickness, DICOMText.decimalString)
        studyDate = parsed(.studyDate) { DICOMDate(dicom: $0) }
        patientID = value(.patientID)
        patientSex = value(.patientSex)
        patientAge = parsed(.patientAge) { DICOMAge(dicom: $0) }
        patientBirthDate = parsed(.patientBirthDate) { DICOMDate(dicom: $0) }
        unparsedValues = unparsed
    }
}
