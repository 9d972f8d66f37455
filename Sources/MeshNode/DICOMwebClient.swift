import AsyncHTTPClient
import DICOM
import Foundation
import NIOCore
import NIOPosix

/// Reads a site's imaging metadata from its DICOM server over QIDO-RS (PS3.18 section 10.6),
/// the search half of DICOMweb: the studies, then each study's series and instances, as the
/// records ``DICOMStudyAssembler`` combines by the primary-series rule.
///
/// Requests, per study:
/// - `GET {base}/studies?includefield=…[&StudyDate=YYYYMMDD-]&limit=N&offset=K`, paged;
/// - `GET {base}/studies/{uid}/series?includefield=…` for modality, body part, manufacturer
///   and the series' instance count;
/// - `GET {base}/studies/{uid}/instances?includefield=0020000E&includefield=00180050…` for
///   slice thickness, an instance attribute (PS3.3 C.7.6.2) that a series search cannot
///   answer faithfully: Orthanc answers it at series level from one instance, not the
///   thinnest (a series of 5.0 and 2.5 mm slices is reported as 5). The same answer fills
///   modality, body part and manufacturer where the series level lacks them: Orthanc indexes
///   series attributes from the first instance it stored of the series.
///
/// Every search is paged with `limit` and `offset` (PS3.18 8.3.4.4) until a page comes back
/// shorter than asked, unless the server's Warning header says it cut the page and more can
/// be requested (PS3.18 10.6.3.3: "299 …: There are additional results that can be
/// requested"). Offsets count against the server's order, which a store during the listing
/// can shift; a study seen twice is kept once, and one missed is seen by the next sync.
///
/// Per-study searches run at most ``DICOMwebSettings/studiesInFlight`` at a time. The HTTP
/// client lives only inside ``with(_:_:)``, which shuts it down however the body ends.
struct DICOMwebClient: Sendable {
    let settings: DICOMwebSettings
    private let http: HTTPClient
    private let base: String
    /// scheme://host:port, to name the server in errors.
    let server: String
    private let authorization: String?

    /// Runs `body` with a client for `settings`, shutting its connections down afterwards.
    static func with<T>(_ settings: DICOMwebSettings, _ body: (DICOMwebClient) async throws -> T) async throws -> T {
        let (base, server) = try Self.parse(baseURL: settings.baseURL)
        let authorization = try settings.user.map { user in
            let password = try Self.readPassword(settings.passwordFile)
            return "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(Int64(settings.connectTimeoutSeconds)), read: .seconds(Int64(settings.requestTimeoutSeconds)))
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, settings.studiesInFlight)
        return try await HTTPClient.withHTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration) { http in
            try await body(DICOMwebClient(settings: settings, http: http, base: base, server: server, authorization: authorization))
        }
    }

    private init(settings: DICOMwebSettings, http: HTTPClient, base: String, server: String, authorization: String?) {
        self.settings = settings
        self.http = http
        self.base = base
        self.server = server
        self.authorization = authorization
    }

    // MARK: - Searches

    /// Every study the server holds, or those on or after `studyDateFrom` (a QIDO-RS range
    /// match "YYYYMMDD-", PS3.18 8.3.4.1 and PS3.4 C.2.2.2.5). A study listed twice while
    /// paging is kept once.
    func listStudies(studyDateFrom: DICOMDate? = nil) async throws -> [DICOMStudyListing] {
        var query = Self.includeFields(DICOMStudyListing.queryTags)
        if let studyDateFrom { query.append(("StudyDate", studyDateFrom.description + "-")) }
        let listings = try await search("/studies", query) { try DICOMStudyListing(dicomJSON: $0) }
        var seen = Set<String>()
        return listings.filter { seen.insert($0.study.studyInstanceUID).inserted }
    }

    /// The series of one study, completed from its instances (slice thickness always;
    /// modality, body part, manufacturer and the instance count where the series level
    /// lacks them): see ``DICOMSeriesLevel/completing(_:with:)``.
    func series(ofStudy studyUID: String) async throws -> [DICOMSeriesLevel] {
        let path = try "/studies/" + checkedUID(studyUID, in: "/studies")
        let series = try await search(path + "/series", Self.includeFields(DICOMSeriesLevel.queryTags)) {
            try DICOMSeriesLevel(dicomJSON: $0)
        }
        guard !series.isEmpty else { return [] }
        let instances = try await search(path + "/instances", Self.includeFields(DICOMInstanceLevel.queryTags)) {
            try DICOMInstanceLevel(dicomJSON: $0)
        }
        return DICOMSeriesLevel.completing(series, with: instances)
    }

    /// Lists the studies (from `studyDateFrom` on, if given), fetches their series and
    /// assembles one ``DICOMStudy`` per study by the primary-series rule.
    func studies(
        studyDateFrom: DICOMDate? = nil, progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
    ) async throws -> [DICOMStudy] {
        let listings = try await listStudies(studyDateFrom: studyDateFrom)
        let seriesByStudy = try await series(ofStudies: listings.map(\.study.studyInstanceUID), inFlight: settings.studiesInFlight, progress: progress)
        var assembler = DICOMStudyAssembler()
        for listing in listings {
            let uid = listing.study.studyInstanceUID
            try assembler.add(study: listing.study, series: seriesByStudy[uid] ?? [], place: "\(base)/studies/\(uid)")
        }
        return assembler.assembled()
    }

    // MARK: - Paging and requests

    /// Every result of a paged search at `path`, each read by `read`.
    private func search<Record>(
        _ path: String, _ query: [(String, String)], read: (DICOMJSONDataset) throws -> Record
    ) async throws -> [Record] {
        let pageSize = max(1, settings.pageSize)
        var records: [Record] = []
        var offset = 0
        while true {
            let url = Self.url(base + path, query + [("limit", String(pageSize)), ("offset", String(offset))])
            let answer = try await get(url, pageOffset: offset)
            let datasets: [DICOMJSONDataset]
            do {
                datasets = try DICOMJSON.datasets(from: answer.body)
                for dataset in datasets { records.append(try read(dataset)) }
            } catch let error as DICOMJSONError {
                throw DICOMwebError.invalidAnswer(url: url, pageOffset: offset, error)
            }
            let cut = answer.warnings.contains { $0.hasPrefix("299") && $0.localizedCaseInsensitiveContains("additional results") }
            guard !datasets.isEmpty, datasets.count >= pageSize || cut else { return records }
            offset += datasets.count
        }
    }

    private struct Answer {
        var body: Data
        var warnings: [String]
    }

    /// One GET with the settings' credentials and limits; 200 or 204, or an error naming
    /// the request.
    private func get(_ url: String, pageOffset: Int?) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/dicom+json, application/json")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        do {
            let response = try await http.execute(request, timeout: .seconds(Int64(settings.requestTimeoutSeconds)))
            let body = try await response.body.collect(upTo: settings.maximumAnswerBytes)
            let data = Data(body.readableBytesView)
            let status = Int(response.status.code)
            guard status == 200 || status == 204 else {
                throw DICOMwebError.status(url: url, pageOffset: pageOffset, status: status, bodyExcerpt: Self.excerpt(data))
            }
            return Answer(body: status == 204 ? Data() : data, warnings: response.headers["Warning"])
        } catch let error as DICOMwebError {
            throw error
        } catch is NIOTooManyBytesError {
            throw DICOMwebError.answerTooLarge(url: url, limitBytes: settings.maximumAnswerBytes)
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw DICOMwebError.timedOut(server: server, url: url, seconds: settings.connectTimeoutSeconds)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw DICOMwebError.timedOut(server: server, url: url, seconds: settings.requestTimeoutSeconds)
        } catch {
            throw DICOMwebError.unreachable(server: server, url: url, reason: Self.reason(error))
        }
    }

    // MARK: - Helpers

    private static func includeFields(_ tags: [DICOMTag]) -> [(String, String)] {
        tags.map { ("includefield", $0.dicomJSONKey) }
    }

    private static func url(_ path: String, _ query: [(String, String)]) -> String {
        var components = URLComponents()
        components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
        return path + "?" + (components.percentEncodedQuery ?? "")
    }

    /// A UID as it may appear in a request path: PS3.5 9.1 allows digits and dots only, which
    /// also keeps a hostile answer from steering later requests elsewhere.
    private func checkedUID(_ uid: String, in path: String) throws -> String {
        guard !uid.isEmpty, uid.utf8.count <= 64, uid.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }) else {
            throw DICOMwebError.invalidUID(url: base + path, uid: uid)
        }
        return uid
    }

    /// The base URL without a trailing slash, and scheme://host:port for errors.
    static func parse(baseURL: String) throws -> (base: String, server: String) {
        let trimmed = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
            components.query == nil, components.fragment == nil
        else { throw DICOMwebError.invalidBaseURL(baseURL) }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        return (trimmed, "\(scheme)://\(host):\(port)")
    }

    static func readPassword(_ path: String?) throws -> String {
        guard let path else { throw DICOMwebError.passwordFile(path: "(none)", reason: "a user is set but no password file") }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "it is not readable UTF-8 text" : "no such file"
            throw DICOMwebError.passwordFile(path: path, reason: reason)
        }
        let password = text.hasSuffix("\r\n") ? String(text.dropLast(2)) : text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard !password.isEmpty else { throw DICOMwebError.passwordFile(path: path, reason: "the file is empty") }
        return password
    }

    /// The start of an error answer, on one line.
    private static func excerpt(_ body: Data) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return body.count > 300 ? line + "…" : line
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED { return "connection refused" }
        let text = String(describing: error)
        if text.localizedCaseInsensitiveContains("refused") { return "connection refused (\(text))" }
        return text
    }
}
