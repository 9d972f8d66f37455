import DICOM
import Foundation
import TestSupport
import Testing

@testable import MeshNode

/// The QIDO-RS client against servers that fail: each error names the server or request,
/// the page's offset and what came back, so that a site admin knows where to look.
@Suite struct DICOMwebFailureTests {
    /// A study-search result for study `number`.
    static func study(_ number: Int) -> String {
        """
        {"0020000D": {"vr": "UI", "Value": ["1.2.3.\(number)"]}, "00100020": {"vr": "LO", "Value": ["P\(number)"]},
         "00201206": {"vr": "IS", "Value": [1]}, "00201208": {"vr": "IS", "Value": [2]}}
        """
    }

    static func page(_ numbers: Range<Int>) -> String {
        "[" + numbers.map(study).joined(separator: ",") + "]"
    }

    /// The query items of a request target.
    static func query(_ target: String) -> [String: [String]] {
        let items = URLComponents(string: target)?.queryItems ?? []
        return Dictionary(grouping: items, by: \.name).mapValues { $0.compactMap(\.value) }
    }

    func settings(_ server: ScriptedHTTPServer, pageSize: Int = 2) -> DICOMwebSettings {
        DICOMwebSettings(baseURL: server.baseURL + "/dicom-web/", pageSize: pageSize, connectTimeoutSeconds: 2, requestTimeoutSeconds: 2)
    }

    @Test func pagesWithLimitAndOffsetAskingForTheAttributesNeeded() async throws {
        let server = try await ScriptedHTTPServer { target in
            let offset = Int(Self.query(target)["offset"]?.first ?? "") ?? -1
            return .init(body: offset < 4 ? Self.page(offset..<(offset + 2)) : Self.page(4..<5))
        }
        let floor = try #require(DICOMDate(year: 2020, month: 2, day: 3))
        let listed = try await DICOMwebClient.with(settings(server)) { try await $0.listStudies(studyDateFrom: floor) }
        await server.stop()
        #expect(listed.map(\.study.studyInstanceUID) == (0..<5).map { "1.2.3.\($0)" })
        #expect(listed.allSatisfy { $0.instanceCount == 2 && $0.seriesCount == 1 })
        let targets = server.targets
        #expect(targets.count == 3)
        for (index, target) in targets.enumerated() {
            #expect(target.hasPrefix("/dicom-web/studies?"))
            let query = Self.query(target)
            #expect(query["limit"] == ["2"])
            #expect(query["offset"] == [String(index * 2)])
            #expect(query["StudyDate"] == ["20200203-"])
            #expect(Set(query["includefield"] ?? []) == ["00100020", "00100040", "00101010", "00100030", "00080020", "00201208", "00201206"])
        }
    }

    /// A short page with the server's "there is more" warning (PS3.18 10.6.3.3) does not
    /// end the listing; a full page followed by an empty one does.
    @Test func aPageTheServerCutIsFollowedByTheNext() async throws {
        let server = try await ScriptedHTTPServer { target in
            switch Int(Self.query(target)["offset"]?.first ?? "") {
            case 0?: return .init(body: Self.page(0..<2), headers: [("Warning", "299 pacs: There are additional results that can be requested")])
            case 2?: return .init(body: Self.page(2..<5))
            default: return .init(body: "[]")
            }
        }
        let listed = try await DICOMwebClient.with(settings(server, pageSize: 3)) { try await $0.listStudies() }
        await server.stop()
        #expect(listed.map(\.study.studyInstanceUID) == (0..<5).map { "1.2.3.\($0)" })
        #expect(server.targets.map { Self.query($0)["offset"] ?? [] } == [["0"], ["2"], ["5"]])
    }

    @Test func anErrorHalfwayThroughPagingNamesTheRequestOffsetAndStatus() async throws {
        let server = try await ScriptedHTTPServer { target in
            let offset = Int(Self.query(target)["offset"]?.first ?? "") ?? -1
            if offset >= 4 { return .init(status: .internalServerError, body: "{\"Message\": \"SQLite: database is locked\"}\n", contentType: "application/json") }
            return .init(body: Self.page(offset..<(offset + 2)))
        }
        let error = await #expect(throws: DICOMwebError.self) {
            try await DICOMwebClient.with(settings(server)) { try await $0.listStudies() }
        }
        await server.stop()
        guard case .status(let url, let offset, let status, let excerpt)? = error else {
            Issue.record("expected an HTTP status error, got \(String(describing: error))")
            return
        }
        #expect(url.hasPrefix(server.baseURL + "/dicom-web/studies?"))
        #expect(url.contains("offset=4"))
        #expect(offset == 4)
        #expect(status == 500)
        #expect(excerpt == "{\"Message\": \"SQLite: database is locked\"}")
        let text = error?.description ?? ""
        #expect(text.hasPrefix("GET \(url) (page at offset 4) answered HTTP 500: {\"Message\""), "\(text)")
    }

    /// `meshnode import --dicomweb` over a site that already has data: a server failing on
    /// its second page (HTTP 500, or a proxy's HTML instead of JSON) fails the import with the
    /// request named, and the site's previous data and import are left as they were.
    @Test(arguments: [true, false])
    func anImportFailingHalfwayThroughPagingLeavesThePreviousData(statusError: Bool) async throws {
        // Full pages of the command's page size (200) until the second, which fails.
        let server = try await ScriptedHTTPServer { target in
            let offset = Int(Self.query(target)["offset"]?.first ?? "") ?? -1
            let limit = Int(Self.query(target)["limit"]?.first ?? "") ?? 0
            if offset >= limit {
                return statusError
                    ? .init(status: .internalServerError, body: "{\"Message\": \"SQLite: database is locked\"}\n", contentType: "application/json")
                    : .init(body: "<html><body>Proxy login</body></html>", contentType: "text/html")
            }
            return .init(body: Self.page(offset..<(offset + limit)))
        }
        let site = try TemporaryDirectory("oncomesh-dicomweb-failure")
        defer { site.remove() }
        let csv = site.file("cases.csv")
        for arguments in [["synth", "--profile", "lung", "--subjects", "20", "--out", csv], ["import", "--db", site.file("site.db"), "--csv", csv]] {
            let made = try ProcessRunner.run(CACommandTests.meshnode, arguments)
            #expect(made.status == 0, "\(made.combinedOutput)")
        }
        let before = try SiteStore(path: site.file("site.db")).importID()
        try "patient_id,diagnosis,tumour_stage\nP1,C34,II\n".write(toFile: site.file("clinical.csv"), atomically: true, encoding: .utf8)
        let result = try ProcessRunner.run(CACommandTests.meshnode, [
            "import", "--db", site.file("site.db"), "--dicomweb", server.baseURL + "/dicom-web", "--clinical", site.file("clinical.csv"), "--no-progress",
        ])
        await server.stop()
        #expect(result.status == 1)
        #expect(result.standardError.contains(server.baseURL + "/dicom-web/studies?"), "\(result.combinedOutput)")
        #expect(result.standardError.contains(statusError ? "(page at offset 200) answered HTTP 500" : "(page at offset 200)"), "\(result.combinedOutput)")
        #expect(try SiteStore(path: site.file("site.db")).importID() == before)
    }

    @Test func anAnswerThatIsNotJSONNamesTheRequest() async throws {
        let server = try await ScriptedHTTPServer { _ in .init(body: "<html><body>Proxy login</body></html>", contentType: "text/html") }
        let error = await #expect(throws: DICOMwebError.self) {
            try await DICOMwebClient.with(settings(server)) { try await $0.listStudies() }
        }
        await server.stop()
        let text = error?.description ?? ""
        #expect(text.hasPrefix("GET \(server.baseURL)/dicom-web/studies?"), "\(text)")
        #expect(text.contains("(page at offset 0): the answer is not a DICOM JSON search result: not valid JSON ("), "\(text)")
    }

    @Test func aSeriesAnswerOfTheWrongShapeNamesTheRequestAndEntry() async throws {
        let server = try await ScriptedHTTPServer { target in
            if target.hasPrefix("/dicom-web/studies?") { return .init(body: Self.page(0..<1)) }
            return .init(body: "[{\"0020000E\": {\"vr\": \"UI\", \"Value\": [\"1.2.3.0.1\"]}}, {\"00080060\": {\"vr\": \"CS\", \"Value\": [\"CT\"]}}]")
        }
        let error = await #expect(throws: DICOMwebError.self) {
            try await DICOMwebClient.with(settings(server)) { try await $0.studies() }
        }
        await server.stop()
        let text = error?.description ?? ""
        #expect(text.hasPrefix("GET \(server.baseURL)/dicom-web/studies/1.2.3.0/series?"), "\(text)")
        #expect(text.hasSuffix("entry [1], attribute (0020,000E): the Series Instance UID is missing"), "\(text)")
    }

    /// A UID that is not digits and dots never reaches a request path.
    @Test func aListedUIDThatIsNoUIDIsRefused() async throws {
        let server = try await ScriptedHTTPServer { _ in
            .init(body: "[{\"0020000D\": {\"vr\": \"UI\", \"Value\": [\"../../instances\"]}, \"00201206\": {\"vr\": \"IS\", \"Value\": [1]}, \"00201208\": {\"vr\": \"IS\", \"Value\": [1]}}]")
        }
        let error = await #expect(throws: DICOMwebError.self) {
            try await DICOMwebClient.with(settings(server)) { try await $0.studies() }
        }
        await server.stop()
        #expect(error == .invalidUID(url: server.baseURL + "/dicom-web/studies", uid: "../../instances"))
        #expect(server.targets.count == 1)
    }

    @Test func aServerThatDoesNotAnswerTimesOut() async throws {
        let server = try await ScriptedHTTPServer { _ in .init(never: true) }
        let started = Date()
        let error = await #expect(throws: DICOMwebError.self) {
            try await DICOMwebClient.with(settings(server)) { try await $0.listStudies() }
        }
        await server.stop()
        #expect(Date().timeIntervalSince(started) < 15)
        let text = error?.description ?? ""
        #expect(text.hasPrefix("the DICOM server http://127.0.0.1:\(server.port) did not answer GET \(server.baseURL)/dicom-web/studies?"), "\(text)")
        #expect(text.hasSuffix("within 2 s"), "\(text)")
    }

    @Test func aServerThatIsNotThereIsNamed() async throws {
        let port = try OrthancServer.freeLoopbackPort()
        let settings = DICOMwebSettings(baseURL: "http://127.0.0.1:\(port)/dicom-web", connectTimeoutSeconds: 2, requestTimeoutSeconds: 5)
        let started = Date()
        let error = await #expect(throws: DICOMwebError.self) {
            try await DICOMwebClient.with(settings) { try await $0.listStudies() }
        }
        #expect(Date().timeIntervalSince(started) < 15)
        let text = error?.description ?? ""
        #expect(text.contains("http://127.0.0.1:\(port)"), "\(text)")
        // AsyncHTTPClient retries a refused connection until the connect timeout, then
        // reports the refusal.
        #expect(text.hasPrefix("cannot reach the DICOM server http://127.0.0.1:\(port) (GET http://127.0.0.1:\(port)/dicom-web/studies?"), "\(text)")
        #expect(text.hasSuffix("): connection refused"), "\(text)")
    }

    @Test func thePasswordFileIsNamedInErrors() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = directory.file("missing")
        let empty = directory.file("empty")
        try "\n".write(toFile: empty, atomically: true, encoding: .utf8)
        for (path, reason) in [(missing, "no such file"), (empty, "the file is empty")] {
            let settings = DICOMwebSettings(baseURL: "http://127.0.0.1:9/dicom-web", user: "importer", passwordFile: path)
            let error = await #expect(throws: DICOMwebError.self) {
                try await DICOMwebClient.with(settings) { try await $0.listStudies() }
            }
            #expect(error?.description == "cannot read the DICOMweb password from \(path): \(reason)")
        }
        let good = directory.file("good")
        try "s3cret\n".write(toFile: good, atomically: true, encoding: .utf8)
        #expect(try DICOMwebClient.readPassword(good) == "s3cret")
    }

    @Test(arguments: ["pacs:8042/dicom-web", "ftp://pacs/dicom-web", "http:///dicom-web", "http://pacs/dicom-web?x=1"])
    func aBaseURLThatIsNotOneIsRefused(_ url: String) async throws {
        let error = await #expect(throws: DICOMwebError.self) {
            try await DICOMwebClient.with(DICOMwebSettings(baseURL: url)) { try await $0.listStudies() }
        }
        #expect(error == .invalidBaseURL(url))
    }
}
