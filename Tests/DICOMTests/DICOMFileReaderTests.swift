import DICOM
import Foundation
import Testing

/// The reader against files pydicom wrote, attribute by attribute against what pydicom reads
/// from the same files.
@Suite struct DICOMFileReaderTests {
    @Test func everyAttributeMatchesPydicom() throws {
        let fixtures = try DICOMFixtures()
        defer { fixtures.directory.remove() }
        #expect(fixtures.headers.count == 7)
        for (name, view) in fixtures.headers {
            let header = try DICOMFileReader().readHeader(path: fixtures.path(name))
            let texts: [(String, String?)] = [
                ("SOPInstanceUID", header.sopInstanceUID), ("StudyInstanceUID", header.studyInstanceUID),
                ("SeriesInstanceUID", header.seriesInstanceUID), ("Modality", header.modality),
                ("BodyPartExamined", header.bodyPartExamined), ("Manufacturer", header.manufacturer),
                ("PatientID", header.patientID), ("PatientSex", header.patientSex),
                ("StudyDate", header.studyDate?.description), ("PatientBirthDate", header.patientBirthDate?.description),
                ("PatientAge", header.patientAge?.description),
            ]
            for (keyword, value) in texts {
                #expect(value == view.attributes[keyword] ?? nil, "\(name) \(keyword)")
            }
            let thickness = (view.attributes["SliceThickness"] ?? nil).flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }
            #expect(header.sliceThickness == thickness, "\(name) SliceThickness")
            if let years = view.ageYears {
                #expect(abs((header.patientAge?.years ?? -1) - years) < 1e-9, "\(name) PatientAge in years")
            } else {
                #expect(header.patientAge == nil, "\(name) PatientAge")
            }
            #expect(header.unparsedValues.isEmpty, "\(name)")
            #expect((header.pixelDataOffset != nil) == (view.pixelDataLength != nil), "\(name) pixel data")
        }
    }

    @Test func readsTheHeaderWithoutThePixelData() throws {
        let fixtures = try DICOMFixtures()
        defer { fixtures.directory.remove() }
        let name = "ct_siemens_explicit.dcm"
        let view = try #require(fixtures.manifest[name]?.header)
        let fileSize = view.fileSize
        let pixelBytes = try #require(view.pixelDataLength)
        #expect(pixelBytes >= 4 << 20)
        for chunkSize in [512, 4096, DICOMFileReader.defaultChunkSize] {
            let header = try DICOMFileReader(chunkSize: chunkSize).readHeader(path: fixtures.path(name))
            let pixelDataOffset = try #require(header.pixelDataOffset)
            // Explicit VR OW: 12 header bytes, then the pixels to the end of the file.
            #expect(pixelDataOffset + 12 + pixelBytes == fileSize)
            #expect(header.bytesRead <= pixelDataOffset + 12 + chunkSize, "chunk \(chunkSize)")
            #expect(header.bytesRead < 64 * 1024)
        }
    }

    @Test func attributesInsideSequencesAreNotTakenForTopLevelOnes() throws {
        let fixtures = try DICOMFixtures()
        defer { fixtures.directory.remove() }
        let explicit = try DICOMFileReader().readHeader(path: fixtures.path("mr_philips_nested_undefined_sequence.dcm"))
        #expect(explicit.patientID == "P-003")
        #expect(explicit.modality == "MR")
        let implicit = try DICOMFileReader().readHeader(path: fixtures.path("mg_hologic_implicit_nested.dcm"))
        #expect(implicit.patientID == "P-004")
        #expect(implicit.modality == "MG")
        #expect(implicit.transferSyntaxUID == "1.2.840.10008.1.2")
    }

    @Test func errorsNameTheFileOffsetAndTag() throws {
        let fixtures = try DICOMFixtures()
        defer { fixtures.directory.remove() }
        #expect(fixtures.errors.count == 6)
        for (name, expected) in fixtures.errors {
            let path = fixtures.path(name)
            let error = #expect(throws: DICOMReadError.self, "\(name)") {
                try DICOMFileReader().readHeader(path: path)
            }
            guard let error else { continue }
            #expect(error.path == path)
            #expect(error.description.hasPrefix(path + ": at byte offset \(error.offset)"), "\(error)")
            if let tag = expected.tag {
                #expect(error.tag?.description == tag, "\(error)")
                #expect(error.description.contains("reading tag \(tag)"), "\(error)")
            }
            if let offset = expected.offset {
                #expect(error.offset == offset, "\(error)")
            }
            switch (expected.kind, error.reason) {
            case ("truncated", .truncated), ("notDICOM", .notDICOM), ("malformedLength", .malformedLength):
                break
            case ("unsupportedTransferSyntax", .unsupportedTransferSyntax(let uid, _)):
                #expect(uid == expected.uid)
                #expect(error.tag == .transferSyntaxUID)
                #expect(error.description.contains(uid), "\(error)")
            default:
                Issue.record("\(name): expected \(expected.kind), got \(error)")
            }
        }
    }

    @Test func bigEndianIsRefusedByName() throws {
        let fixtures = try DICOMFixtures()
        defer { fixtures.directory.remove() }
        let path = fixtures.path("ct_big_endian.dcm")
        let error = #expect(throws: DICOMReadError.self) { try DICOMFileReader().readHeader(path: path) }
        #expect(error?.description.contains("1.2.840.10008.1.2.2 (Explicit VR Big Endian") == true, "\(String(describing: error))")
    }

    @Test func missingFileIsUnreadable() {
        let error = #expect(throws: DICOMReadError.self) {
            try DICOMFileReader().readHeader(path: "/nonexistent/study.dcm")
        }
        #expect(error?.path == "/nonexistent/study.dcm")
    }
}
