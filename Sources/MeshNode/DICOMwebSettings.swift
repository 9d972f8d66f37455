import Foundation

/// Where and how the QIDO-RS import reaches a site's DICOM server (``DICOMwebClient``).
struct DICOMwebSettings: Sendable, Equatable {
    /// The DICOMweb root, e.g. "http://pacs.local:8042/dicom-web" (Orthanc's plugin default);
    /// `/studies` and the rest are appended to it.
    var baseURL: String
    /// HTTP basic auth user, nil for a server without authentication.
    var user: String?
    /// A file holding the password (trailing newline ignored), so that it is in neither the
    /// configuration nor the process list.
    var passwordFile: String?
    /// Results asked for per QIDO-RS request (`limit`, PS3.18 8.3.4.4). Paging stops at the
    /// first page shorter than this, unless the server says more can be requested.
    var pageSize: Int = 200
    /// Per-study requests (series and instance searches) in flight at once.
    var studiesInFlight: Int = 8
    /// Time to establish a TCP connection.
    var connectTimeoutSeconds: Int = 10
    /// Time for one request, from sending it to the end of its answer.
    var requestTimeoutSeconds: Int = 120
    /// The largest answer read into memory; a page of `pageSize` studies is some kilobytes
    /// per result, so the default leaves a margin of hundreds.
    var maximumAnswerBytes: Int = 64 << 20

    init(
        baseURL: String, user: String? = nil, passwordFile: String? = nil, pageSize: Int = 200, studiesInFlight: Int = 8,
        connectTimeoutSeconds: Int = 10, requestTimeoutSeconds: Int = 120, maximumAnswerBytes: Int = 64 << 20
    ) {
        self.baseURL = baseURL
        self.user = user
        self.passwordFile = passwordFile
        self.pageSize = pageSize
        self.studiesInFlight = studiesInFlight
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.maximumAnswerBytes = maximumAnswerBytes
    }
}
