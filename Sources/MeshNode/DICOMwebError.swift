import DICOM

/// Why a QIDO-RS import from a DICOM server failed, naming what a site admin needs to look
/// at: the server, the request (with the page's offset when the search was paged) and what
/// came back.
enum DICOMwebError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The configured base URL is not an http(s) URL with a host.
    case invalidBaseURL(String)
    /// The password file could not be read or is empty.
    case passwordFile(path: String, reason: String)
    /// The server answered with a status other than 200 or 204.
    case status(url: String, pageOffset: Int?, status: Int, bodyExcerpt: String)
    /// The answer is not a DICOM JSON search result (PS3.18 F.2).
    case invalidAnswer(url: String, pageOffset: Int?, DICOMJSONError)
    /// The answer is larger than ``DICOMwebSettings/maximumAnswerBytes``.
    case answerTooLarge(url: String, limitBytes: Int)
    /// A UID from the server's answer that cannot go into a request path.
    case invalidUID(url: String, uid: String)
    /// No connection, or it broke.
    case unreachable(server: String, url: String, reason: String)
    /// Connecting or answering took longer than the settings allow.
    case timedOut(server: String, url: String, seconds: Int)

    var description: String {
        func page(_ offset: Int?) -> String { offset.map { " (page at offset \($0))" } ?? "" }
        switch self {
        case .invalidBaseURL(let url):
            return "'\(url)' is not a DICOMweb base URL (expected http:// or https://, a host and the DICOMweb root, e.g. http://pacs:8042/dicom-web)"
        case .passwordFile(let path, let reason):
            return "cannot read the DICOMweb password from \(path): \(reason)"
        case .status(let url, let offset, let status, let excerpt):
            let body = excerpt.isEmpty ? "" : ": \(excerpt)"
            return "GET \(url)\(page(offset)) answered HTTP \(status)\(body)"
        case .invalidAnswer(let url, let offset, let error):
            return "GET \(url)\(page(offset)): the answer is not a DICOM JSON search result: \(error)"
        case .answerTooLarge(let url, let limit):
            return "GET \(url): the answer is larger than \(limit) bytes; lower the page size"
        case .invalidUID(let url, let uid):
            return "GET \(url): the server listed the UID '\(uid.prefix(80))', which is not a DICOM UID (digits and dots, at most 64)"
        case .unreachable(let server, let url, let reason):
            return "cannot reach the DICOM server \(server) (GET \(url)): \(reason)"
        case .timedOut(let server, let url, let seconds):
            return "the DICOM server \(server) did not answer GET \(url) within \(seconds) s"
        }
    }
}
