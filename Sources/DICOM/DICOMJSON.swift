import Foundation

/// Reads answers in the DICOM JSON model (PS3.18 Annex F.2), as QIDO-RS searches return
/// them (PS3.18 section 10.6.3): a JSON array with one object per matching study, series or
/// instance, each mapping tags ("0020000D") to `{"vr": "UI", "Value": [...]}`.
public enum DICOMJSON {
    /// Parses an answer's body. An empty body is an empty answer: a server with no match may
    /// answer 204 No Content (PS3.18 10.6.3.2), which has none.
    public static func datasets(from body: Data) throws(DICOMJSONError) -> [DICOMJSONDataset] {
        if body.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return [] }
        let value: DICOMJSONValue
        do {
            value = try JSONDecoder().decode(DICOMJSONValue.self, from: body)
        } catch {
            throw DICOMJSONError(problem: "not valid JSON (\(syntaxProblem(body)))")
        }
        guard case .array(let entries) = value else {
            throw DICOMJSONError(problem: "expected an array of datasets (PS3.18 F.2), found \(value.kind)")
        }
        return try entries.enumerated().map { index, entry throws(DICOMJSONError) in
            try DICOMJSONDataset(entry: index, value: entry)
        }
    }

    /// JSONDecoder says only that the data is not JSON; JSONSerialization says where.
    private static func syntaxProblem(_ body: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
            return "a number out of range"
        } catch let error as NSError {
            return (error.userInfo[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
        }
    }
}

/// A JSON value as it appears in a DICOM JSON answer. Numbers are kept as decimals, read
/// from their text: a DS such as 3.27 must compare equal to the "3.27" a file holds, which a
/// binary float would not.
indirect enum DICOMJSONValue: Decodable, Sendable {
    case string(String)
    case number(Decimal)
    case bool(Bool)
    case null
    case array([DICOMJSONValue])
    case object([String: DICOMJSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Decimal.self) {
            self = .number(number)
        } else if let items = try? container.decode([DICOMJSONValue].self) {
            self = .array(items)
        } else {
            self = .object(try container.decode([String: DICOMJSONValue].self))
        }
    }

    /// What the value is, for errors.
    var kind: String {
        switch self {
        case .string(let text): return "the string \"\(text.prefix(40))\""
        case .number(let number): return "the number \(number)"
        case .bool(let flag): return "\(flag)"
        case .null: return "null"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
