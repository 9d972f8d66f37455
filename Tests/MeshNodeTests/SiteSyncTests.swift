import DICOM
import Foundation
import GRDB
import MeshCore
@testable import MeshNode
import Testing
import TestSupport

/// A node that keeps its data current from a real Orthanc: a study stored after the first
/// import is the only one fetched by the next sync, the node's catalogue version advances,
/// and another node of the mesh sees the new version.
@Suite(
    .serialized,
    .enabled(if: OrthancServer.isInstalled, "Orthanc with its DICOMweb plugin is not installed (make test-deps installs it)")
)
struct SiteSyncTests {
    /// A server that counts which studies' series were asked for.
    final class CountingServer: DICOMStudyServer, @unchecked Sendable {
        let inner: any DICOMStudyServer
        private let lock = NSLock()
        private var asked: [String] = []
        var name: String { inner.name }
        var seriesRequests: [String] { lock.withLock { asked } }

        init(_ inner: any DICOMStudyServer) { self.inner = inner }

        func listStudies(studyDateFrom: DICOMDate?) async throws -> [DICOMStudyListing] {
            try await inner.listStudies(studyDateFrom: studyDateFrom)
        }

        func series(ofStudy uid: String) async throws -> [DICOMSeriesLevel] {
            lock.withLock { asked.append(uid) }
            return try await inner.series(ofStudy: uid)
        }
    }

    static func imagingStudies(in database: String) -> Int? {
        guard let queue = try? DatabaseQueue(path: database) else { return nil }
        return try? queue.read { db in try db.tableExists(ImagingStudyTable.name) ? try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(ImagingStudyTable.name)") : 0 }
    }

    @Test func aStudyStoredLaterIsTheOnlyOneFetchedAndTheMeshSeesTheNewCatalogue() async throws {
        let fixtures = try ImagingImportTests.folderFixtures()
        defer { fixtures.directory.remove() }
        let lateStudy = fixtures.expected[6].StudyInstanceUID
        let late = fixtures.files.filter { $0.contains("/study7/") }
        #expect(!late.isEmpty && fixtures.expected.count == 8)
        let site = try ImagingImportTests.Site()
        defer { site.folder.remove() }

        try await OrthancServer.run { server in
            try await server.upload(fixtures.files.filter { !late.contains($0) })
            let settings = DICOMwebSettings(baseURL: server.dicomWebURL, user: server.user, passwordFile: server.passwordFile)

            // The first import fetches every study.
            let first = try await DICOMwebClient.with(settings) { client in
                let counting = CountingServer(client)
                return (try await site.job().run(.server(counting, since: nil)), counting.seriesRequests)
            }
            #expect(first.1.count == 7)
            #expect(first.0.rows == 6)  // study 8 has no sex: reported and left out

            // A mesh of two nodes; node-0 syncs from the same Orthanc every second.
            let mesh = try MeshFormationTests.Mesh()
            defer { mesh.stopAll() }
            let ca = mesh.directory.file("ca")
            _ = try ProcessRunner.run(CACommandTests.meshnode, ["ca", "init", "--dir", ca])
            let ports = try MeshFormationTests.freePorts(2)
            for (index, name) in ["node-0", "node-1"].enumerated() {
                try mesh.initialise(name, port: ports[index], seed: ports[0], caDirectory: ca)
            }
            let database = mesh.directory.file("node-0/site.sqlite")
            var yaml = try String(contentsOfFile: mesh.config("node-0"), encoding: .utf8)
            yaml += """
                sync:
                  dicomweb: \(server.dicomWebURL)
                  user: \(server.user)
                  password_file: \(server.passwordFile)
                  clinical: \(site.clinical)
                  mapping: \(site.mapping)
                  interval_s: 1

                """
            try yaml.write(toFile: mesh.config("node-0"), atomically: true, encoding: .utf8)
            try mesh.start("node-0")
            try mesh.start("node-1")

            func versionOfNode0(seenBy node: String) -> UInt64? {
                mesh.status(node)?.catalogues.first { $0.nodeID == "node-0" }?.version
            }
            // Both nodes agree on node-0's catalogue once its first sync is in.
            let synced = await mesh.wait(for: ["node-1"], timeout: .seconds(60)) { status in
                Self.imagingStudies(in: database) == 7 && versionOfNode0(seenBy: "node-0") != nil
                    && status.catalogues.first { $0.nodeID == "node-0" }?.version == versionOfNode0(seenBy: "node-0")
            }
            #expect(synced != nil, "node-0's first sync and node-1 seeing its catalogue")
            let before = try #require(versionOfNode0(seenBy: "node-1"))

            // A study stored after the first import.
            try await server.upload(late)
            let second = try await DICOMwebClient.with(settings) { client in
                let counting = CountingServer(client)
                return (try await site.job().run(.server(counting, since: nil)), counting.seriesRequests)
            }
            #expect(second.1 == [lateStudy], "only the new study is fetched")
            #expect(second.0.studiesFetched == 1 && second.0.studiesUnchanged == 7 && second.0.rows == 7)

            let seen = await mesh.wait(for: ["node-1"], timeout: .seconds(60)) { status in
                Self.imagingStudies(in: database) == 8 && (status.catalogues.first { $0.nodeID == "node-0" }?.version ?? 0) > before
            }
            #expect(seen != nil, "node-1 sees node-0's catalogue after the sync (version \(before) before)")
        }
    }
}
