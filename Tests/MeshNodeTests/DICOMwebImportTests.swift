import DICOM
import Foundation
import TestSupport
import Testing

@testable import MeshNode

/// The QIDO-RS client against a real Orthanc holding the fixture studies: every attribute of
/// every study as the files say, and the same studies as the folder reader gives.
@Suite(
    .serialized,
    .enabled(
        if: OrthancServer.isInstalled,
        "Orthanc and its DICOMweb plugin are not installed (Debian packages orthanc, orthanc-dicomweb; `make test-deps` installs them)"
    )
)
struct DICOMwebImportTests {
    func settings(_ server: OrthancServer, pageSize: Int = 200) -> DICOMwebSettings {
        DICOMwebSettings(
            baseURL: server.dicomWebURL, user: server.user, passwordFile: server.passwordFile, pageSize: pageSize, studiesInFlight: 3,
            connectTimeoutSeconds: 5, requestTimeoutSeconds: 30
        )
    }

    /// Page sizes below, at and above the study count, and one that divides it (a full last
    /// page followed by an empty one).
    @Test func importsEveryStudyAsTheFilesDescribeIt() async throws {
        let fixtures = try DICOMwebFixtures()
        defer { fixtures.directory.remove() }
        let fromFiles = try fixtures.studiesFromFiles()
        fixtures.check(fromFiles, from: "the folder reader")
        try await OrthancServer.run { server in
            try await server.upload(fixtures.files)
            for pageSize in [1, 3, 4, 8, 200] {
                let progress = ProgressLog()
                let (listings, studies) = try await DICOMwebClient.with(settings(server, pageSize: pageSize)) { client in
                    (try await client.listStudies(), try await client.studies(progress: { progress.record($0, $1) }))
                }
                fixtures.check(studies, from: "DICOMweb, page size \(pageSize)")
                #expect(studies == fromFiles, "page size \(pageSize)")
                let counts = Dictionary(uniqueKeysWithValues: listings.map { ($0.study.studyInstanceUID, ($0.instanceCount, $0.seriesCount)) })
                for want in fixtures.expected {
                    #expect(counts[want.StudyInstanceUID]?.0 == want.NumberOfStudyRelatedInstances, "\(want.StudyInstanceUID)")
                    #expect(counts[want.StudyInstanceUID]?.1 == want.NumberOfStudyRelatedSeries, "\(want.StudyInstanceUID)")
                }
                #expect(listings.count == fixtures.expected.count, "page size \(pageSize)")
                #expect(progress.calls.map(\.done).sorted() == Array(1...fixtures.expected.count))
                #expect(progress.calls.allSatisfy { $0.total == fixtures.expected.count })
            }
        }
    }

    /// What Orthanc answers at each QIDO-RS level, which is why the client asks instances
    /// for slice thickness: the series level reports one instance's value.
    @Test func theSeriesLevelAloneWouldMissTheThinnestSlices() async throws {
        let fixtures = try DICOMwebFixtures()
        defer { fixtures.directory.remove() }
        try await OrthancServer.run { server in
            try await server.upload(fixtures.files)
            // Study 5's primary series declares 5.0, nothing, 2.5, nothing, 5.0 mm.
            let study = "1.2.826.0.1.3680043.8.498.4242.5"
            let (_, body) = try await server.request(
                "GET", "/dicom-web/studies/\(study)/series?includefield=00180050&includefield=00201209", timeoutSeconds: 10
            )
            let seriesLevel = try DICOMJSON.datasets(from: body).map { try DICOMSeriesLevel(dicomJSON: $0) }
            let primary = try #require(seriesLevel.first { $0.seriesInstanceUID == study + ".1" })
            #expect(primary.sliceThickness != Decimal(string: "2.5"), "Orthanc now answers the thinnest at series level: \(primary)")
            let completed = try await DICOMwebClient.with(settings(server)) { try await $0.series(ofStudy: study) }
            #expect(completed.first { $0.seriesInstanceUID == study + ".1" }?.sliceThickness == Decimal(string: "2.5"))
        }
    }

    @Test func aStudyDateFloorListsOnlyStudiesFromThatDay() async throws {
        let fixtures = try DICOMwebFixtures()
        defer { fixtures.directory.remove() }
        let floor = try #require(DICOMDate(year: 2022, month: 1, day: 15))
        try await OrthancServer.run { server in
            try await server.upload(fixtures.files)
            let listed = try await DICOMwebClient.with(settings(server, pageSize: 2)) { try await $0.listStudies(studyDateFrom: floor) }
            let expected = fixtures.expected.filter { ($0.StudyDate.flatMap { DICOMDate(dicom: $0) }).map { $0 >= floor } ?? false }
            #expect(expected.count == 4)
            #expect(Set(listed.map(\.study.studyInstanceUID)) == Set(expected.map(\.StudyInstanceUID)))
        }
    }

    @Test func aWrongPasswordIsReportedWithTheRequestAndStatus() async throws {
        try await OrthancServer.run { server in
            let wrong = server.directory.file("wrong-password")
            try "not-the-password\n".write(toFile: wrong, atomically: true, encoding: .utf8)
            var settings = settings(server)
            settings.passwordFile = wrong
            let error = await #expect(throws: DICOMwebError.self) {
                try await DICOMwebClient.with(settings) { try await $0.listStudies() }
            }
            guard case .status(let url, let offset, let status, _)? = error else {
                Issue.record("expected an HTTP status error, got \(String(describing: error))")
                return
            }
            #expect(status == 401)
            #expect(offset == 0)
            #expect(url.hasPrefix(server.dicomWebURL + "/studies?"))
            #expect(error?.description.contains("answered HTTP 401") == true, "\(String(describing: error))")
        }
    }
}

/// The progress callbacks of one import, from whichever task made them.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [(done: Int, total: Int)] = []

    func record(_ done: Int, _ total: Int) {
        lock.withLock { recorded.append((done, total)) }
    }

    var calls: [(done: Int, total: Int)] { lock.withLock { recorded } }
}
