/// Why an answer in the DICOM JSON model (PS3.18 Annex F.2) could not be read, with where:
/// the entry of the answer's array (counting from 0) and the attribute, when the problem is
/// inside one. The request that brought the answer is named by the caller, which knows it.
public struct DICOMJSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The index of the dataset in the answer's top-level array, nil for the answer as a whole.
    public let entry: Int?
    public let tag: DICOMTag?
    public let problem: String

    public init(entry: Int? = nil, tag: DICOMTag? = nil, problem: String) {
        self.entry = entry
        self.tag = tag
        self.problem = problem
    }

    public var description: String {
        var place: [String] = []
        if let entry { place.append("entry [\(entry)]") }
        if let tag { place.append("attribute \(tag)") }
        return place.isEmpty ? problem : place.joined(separator: ", ") + ": " + problem
    }
}
