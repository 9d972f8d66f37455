import DICOM
import Testing

/// The VR parsers on their own: the forms PS3.5 6.2 allows and what it does not.
@Suite struct DICOMValueTests {
    @Test func agesInEveryUnit() throws {
        #expect(try #require(DICOMAge(dicom: "054Y")).years == 54)
        #expect(try #require(DICOMAge(dicom: "030M")).years == 2.5)
        #expect(abs(try #require(DICOMAge(dicom: "012W")).years - 84 / 365.25) < 1e-12)
        #expect(abs(try #require(DICOMAge(dicom: "005D")).years - 5 / 365.25) < 1e-12)
        #expect(DICOMAge(dicom: "054Y")?.description == "054Y")
        for invalid in ["54Y", "054", "054y", "0540Y", "05AY", "", "+54Y"] {
            #expect(DICOMAge(dicom: invalid) == nil, "\(invalid)")
        }
    }

    @Test func datesInBothForms() {
        #expect(DICOMDate(dicom: "20190315") == DICOMDate(year: 2019, month: 3, day: 15))
        #expect(DICOMDate(dicom: "2019.03.15") == DICOMDate(year: 2019, month: 3, day: 15))
        #expect(DICOMDate(dicom: "20000229") != nil)
        for invalid in ["19000229", "20191301", "20190431", "2019031", "201903150", "2019-03-15", "", "-0190315", "+0190315"] {
            #expect(DICOMDate(dicom: invalid) == nil, "\(invalid)")
        }
    }
}
