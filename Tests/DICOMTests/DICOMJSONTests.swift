import DICOM
import Foundation
import Testing

/// Reading QIDO-RS answers in the DICOM JSON model (PS3.18 F.2): the shapes servers send,
/// and errors that say which entry and attribute were wrong.
@Suite struct DICOMJSONTests {
    func datasets(_ text: String) throws -> [DICOMJSONDataset] {
        try DICOMJSON.datasets(from: Data(text.utf8))
    }

    func error(_ text: String) -> DICOMJSONError? {
        #expect(throws: DICOMJSONError.self) { try datasets(text) }
    }

    /// As Orthanc's DICOMweb plugin answers a study search: IS values as numbers, PN as an
    /// object, an empty PatientSex with no "Value", PatientAge absent.
    static let orthancStudies = """
        [{"00080020": {"vr": "DA", "Value": ["20210601"]},
          "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Pseudonym^P0003"}]},
          "00100020": {"vr": "LO", "Value": ["P0003"]},
          "00100030": {"vr": "DA", "Value": ["19700512"]},
          "00100040": {"vr": "CS"},
          "0020000D": {"vr": "UI", "Value": ["1.2.826.0.1.3680043.8.498.4242.4"]},
          "00201206": {"vr": "IS", "Value": [1]},
          "00201208": {"vr": "IS", "Value": [4]}},
         {"00080020": {"vr": "DA", "Value": ["20190410"]},
          "00100020": {"vr": "LO", "Value": ["P0004"]},
          "00100040": {"vr": "CS", "Value": ["F"]},
          "00101010": {"vr": "AS", "Value": ["018M"]},
          "0020000D": {"vr": "UI", "Value": ["1.2.826.0.1.3680043.8.498.4242.5"]},
          "00201206": {"vr": "IS", "Value": ["2"]},
          "00201208": {"vr": "IS", "Value": [" 7 "]}}]
        """

    @Test func readsAStudySearch() throws {
        let listings = try datasets(Self.orthancStudies).map { try DICOMStudyListing(dicomJSON: $0) }
        #expect(listings.count == 2)
        #expect(listings[0].study == DICOMStudyLevel(
            studyInstanceUID: "1.2.826.0.1.3680043.8.498.4242.4", patientID: "P0003", patientSex: nil, patientAge: nil,
            patientBirthDate: DICOMDate(year: 1970, month: 5, day: 12), studyDate: DICOMDate(year: 2021, month: 6, day: 1)
        ))
        #expect(listings[0].instanceCount == 4)
        #expect(listings[0].seriesCount == 1)
        #expect(listings[1].study.patientAge == DICOMAge(dicom: "018M"))
        #expect(listings[1].study.patientBirthDate == nil)
        #expect(listings[1].instanceCount == 7)
        #expect(listings[1].seriesCount == 2)
    }

    @Test func readsPersonNamesAndEmptyValues() throws {
        let dataset = try #require(try datasets("""
            [{"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane", "Ideographic": "x"}]},
              "00080090": {"vr": "PN", "Value": [{}]},
              "00080070": {"vr": "LO", "Value": []},
              "00180015": {"vr": "CS", "Value": [null, "CHEST"]},
              "00080060": {"vr": "CS", "Value": ["CT\\\\PT"]},
              "00081030": {"vr": "LO", "Value": ["  "]},
              "00200011": {"vr": "IS", "Value": null}}]
            """).first)
        #expect(try dataset.text(DICOMTag(0x0010, 0x0010)) == "Doe^Jane")
        #expect(try dataset.text(DICOMTag(0x0008, 0x0090)) == nil)
        #expect(try dataset.text(.manufacturer) == nil)
        #expect(try dataset.text(.bodyPartExamined) == nil)
        #expect(try dataset.text(.modality) == "CT\\PT")
        #expect(try dataset.text(DICOMTag(0x0008, 0x1030)) == nil)
        #expect(try dataset.integer(DICOMTag(0x0020, 0x0011)) == nil)
        #expect(try dataset.text(.patientID) == nil)
    }

    /// DS as a JSON number is read from its text, so 3.27 is exactly 3.27; as a string too.
    @Test(arguments: [("3.27", "3.27"), ("\"3.27\"", "3.27"), ("0.5", "0.5"), ("\" 1.25 \"", "1.25"), ("3", "3.0"), ("1e1", "10")])
    func readsDecimalStringsExactly(_ json: String, _ expected: String) throws {
        let dataset = try #require(try datasets("[{\"00180050\": {\"vr\": \"DS\", \"Value\": [\(json)]}}]").first)
        #expect(try dataset.decimal(.sliceThickness) == Decimal(string: expected, locale: Locale(identifier: "en_US_POSIX")))
    }

    @Test func readsSeriesAndInstanceSearches() throws {
        let series = try datasets("""
            [{"0020000E": {"vr": "UI", "Value": ["1.2.3.1"]}, "00080060": {"vr": "CS", "Value": ["CT"]},
              "00180015": {"vr": "CS", "Value": ["HEAD"]}, "00080070": {"vr": "LO", "Value": ["TOSHIBA"]},
              "00180050": {"vr": "DS", "Value": [5]}, "00201209": {"vr": "IS", "Value": [5]}},
             {"0020000E": {"vr": "UI", "Value": ["1.2.3.2"]}, "00080060": {"vr": "CS", "Value": ["CT"]}}]
            """).map { try DICOMSeriesLevel(dicomJSON: $0) }
        #expect(series == [
            DICOMSeriesLevel(seriesInstanceUID: "1.2.3.1", modality: "CT", bodyPartExamined: "HEAD", manufacturer: "TOSHIBA", sliceThickness: 5, instanceCount: 5),
            DICOMSeriesLevel(seriesInstanceUID: "1.2.3.2", modality: "CT", instanceCount: 0),
        ])
        let instances = try datasets("""
            [{"0020000E": {"vr": "UI", "Value": ["1.2.3.1"]}, "00180050": {"vr": "DS", "Value": [5]}},
             {"0020000E": {"vr": "UI", "Value": ["1.2.3.1"]}},
             {"0020000E": {"vr": "UI", "Value": ["1.2.3.1"]}, "00180050": {"vr": "DS", "Value": [2.5]}},
             {"0020000E": {"vr": "UI", "Value": ["1.2.3.2"]}, "00180015": {"vr": "CS", "Value": ["NECK"]}, "00080070": {"vr": "LO", "Value": ["Canon"]}},
             {"0020000E": {"vr": "UI", "Value": ["1.2.3.2"]}, "00180015": {"vr": "CS", "Value": ["HEAD"]}},
             {"0020000E": {"vr": "UI", "Value": ["1.2.3.9"]}, "00180050": {"vr": "DS", "Value": [0.1]}}]
            """).map { try DICOMInstanceLevel(dicomJSON: $0) }
        let completed = DICOMSeriesLevel.completing(series, with: instances)
        // The thinnest an instance declares, not the series level's one-instance value.
        #expect(completed[0].sliceThickness == Decimal(string: "2.5"))
        #expect(completed[0].instanceCount == 5)
        #expect(completed[0].bodyPartExamined == "HEAD")
        // Missing series-level attributes from the first instance that has them; the count
        // counted where not reported; an instance of an unlisted series left out.
        #expect(completed[1] == DICOMSeriesLevel(
            seriesInstanceUID: "1.2.3.2", modality: "CT", bodyPartExamined: "NECK", manufacturer: "Canon", sliceThickness: nil, instanceCount: 2
        ))
        #expect(completed.count == 2)
    }

    @Test func anEmptyBodyIsAnEmptyAnswer() throws {
        #expect(try datasets("").isEmpty)
        #expect(try datasets(" \n").isEmpty)
        #expect(try datasets("[]").isEmpty)
    }

    @Test func invalidJSONSaysSo() throws {
        let found = try #require(error("<html><body>Bad gateway</body></html>"))
        #expect(found.entry == nil)
        #expect(found.description.hasPrefix("not valid JSON ("), "\(found)")
        #expect(error("[{\"0020000D\": {\"vr\": \"UI\", \"Value\": [\"1.2\"]}")?.description.hasPrefix("not valid JSON") == true)
    }

    /// Each wrong shape names the entry (counting from 0) and the attribute.
    @Test(arguments: [
        ("{\"0020000D\": {\"vr\": \"UI\"}}", nil, nil, "expected an array of datasets (PS3.18 F.2), found an object"),
        ("[{}, 3]", 1, nil, "expected a dataset (an object of attributes), found the number 3"),
        ("[{\"PatientID\": {\"vr\": \"LO\"}}]", 0, nil, "\"PatientID\" is not a tag (eight hexadecimal digits, PS3.18 F.2.1.1.2)"),
        ("[{}, {\"00100020\": [\"P1\"]}]", 1, "(0010,0020)", "expected an object with \"vr\", found an array"),
        ("[{\"00100020\": {\"Value\": [\"P1\"]}}]", 0, "(0010,0020)", "no \"vr\" string (PS3.18 F.2.2)"),
        ("[{\"00100020\": {\"vr\": \"LO\", \"Value\": \"P1\"}}]", 0, "(0010,0020)", "\"Value\" must be an array, found the string \"P1\""),
    ] as [(String, Int?, String?, String)])
    func wrongShapesNameTheEntryAndAttribute(_ json: String, _ entry: Int?, _ tag: String?, _ problem: String) throws {
        let found = try #require(error(json))
        #expect(found.entry == entry)
        #expect(found.tag?.description == tag)
        #expect(found.problem == problem)
    }

    @Test func wrongValuesNameTheEntryAndAttribute() throws {
        func listingError(_ attributes: String) throws -> DICOMJSONError? {
            let answer = "[{\"0020000D\": {\"vr\": \"UI\", \"Value\": [\"1.2\"]}, \"00201206\": {\"vr\": \"IS\", \"Value\": [1]}, "
                + "\"00201208\": {\"vr\": \"IS\", \"Value\": [1]}}, {\(attributes)}]"
            let parsed = try datasets(answer)
            do {
                _ = try parsed.map { try DICOMStudyListing(dicomJSON: $0) }
                return nil
            } catch {
                return error as? DICOMJSONError
            }
        }
        let uid = "\"0020000D\": {\"vr\": \"UI\", \"Value\": [\"1.3\"]}, "
        let counts = "\"00201206\": {\"vr\": \"IS\", \"Value\": [1]}, \"00201208\": {\"vr\": \"IS\", \"Value\": [2]}"
        let cases: [(String, String)] = [
            (counts, "entry [1], attribute (0020,000D): the Study Instance UID is missing"),
            (uid + "\"00201206\": {\"vr\": \"IS\", \"Value\": [1]}", "entry [1], attribute (0020,1208): the Number of Study Related Instances is missing"),
            (uid + counts + ", \"00080020\": {\"vr\": \"DA\", \"Value\": [\"2019-03-15\"]}",
             "entry [1], attribute (0008,0020): \"2019-03-15\" is not a date (YYYYMMDD, PS3.5 6.2)"),
            (uid + counts + ", \"00101010\": {\"vr\": \"AS\", \"Value\": [\"54\"]}",
             "entry [1], attribute (0010,1010): \"54\" is not an age (nnnD, nnnW, nnnM or nnnY, PS3.5 6.2)"),
            (uid + counts + ", \"00100020\": {\"vr\": \"LO\", \"Value\": [17]}", "entry [1], attribute (0010,0020): expected a string value, found the number 17"),
            (uid + "\"00201206\": {\"vr\": \"IS\", \"Value\": [1.5]}, \"00201208\": {\"vr\": \"IS\", \"Value\": [2]}",
             "entry [1], attribute (0020,1206): 1.5 is not an integer"),
            (uid + "\"00201206\": {\"vr\": \"IS\", \"Value\": [\"many\"]}, \"00201208\": {\"vr\": \"IS\", \"Value\": [2]}",
             "entry [1], attribute (0020,1206): \"many\" is not a number"),
        ]
        for (attributes, message) in cases {
            #expect(try listingError(attributes)?.description == message)
        }
    }

    @Test func tagsAsDICOMJSONKeys() {
        #expect(DICOMTag.numberOfStudyRelatedInstances.dicomJSONKey == "00201208")
        #expect(DICOMTag(0x7FE0, 0x0010).dicomJSONKey == "7FE00010")
        #expect(DICOMTag(dicomJSONKey: "0020000d") == .studyInstanceUID)
        #expect(DICOMTag(dicomJSONKey: "0020000") == nil)
        #expect(DICOMTag(dicomJSONKey: "0020000G") == nil)
        #expect(DICOMTag(dicomJSONKey: "+020000D") == nil)
    }
}
