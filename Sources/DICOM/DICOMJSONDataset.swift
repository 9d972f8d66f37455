import Foundation

/// One dataset of a DICOM JSON answer (PS3.18 F.2.2): its attributes by tag, each with its
/// value representation and values, read into the types the rest of the module uses.
///
/// Readers are lenient where PS3.18 and real servers leave room, strict where a value would
/// otherwise be silently wrong:
/// - an attribute may be absent, have no "Value", an empty one or a null value (F.2.5: an
///   empty attribute has no "Value"; a null stands for an empty value of several): all nil;
/// - IS and DS are JSON numbers (F.2.3.1), but some servers send them as strings: both are read;
/// - PN values are objects whose "Alphabetic" component is the name (F.2.2);
/// - of several values the first is taken, as the file reader does;
/// - a value of the wrong JSON type or one that does not parse for its VR (a DA that is no
///   date) is an error naming the entry and tag.
public struct DICOMJSONDataset: Sendable {
    /// The dataset's index in the answer's array, for errors.
    public let entry: Int
    private let elements: [DICOMTag: Element]

    struct Element: Sendable {
        let vr: String
        let values: [DICOMJSONValue]
    }

    init(entry: Int, value: DICOMJSONValue) throws(DICOMJSONError) {
        self.entry = entry
        guard case .object(let attributes) = value else {
            throw DICOMJSONError(entry: entry, problem: "expected a dataset (an object of attributes), found \(value.kind)")
        }
        var elements: [DICOMTag: Element] = [:]
        for (key, attribute) in attributes {
            guard let tag = DICOMTag(dicomJSONKey: key) else {
                throw DICOMJSONError(entry: entry, problem: "\"\(key.prefix(40))\" is not a tag (eight hexadecimal digits, PS3.18 F.2.1.1.2)")
            }
            guard case .object(let fields) = attribute else {
                throw DICOMJSONError(entry: entry, tag: tag, problem: "expected an object with \"vr\", found \(attribute.kind)")
            }
            guard case .string(let vr)? = fields["vr"] else {
                throw DICOMJSONError(entry: entry, tag: tag, problem: "no \"vr\" string (PS3.18 F.2.2)")
            }
            switch fields["Value"] {
            case nil, .null?:
                elements[tag] = Element(vr: vr, values: [])
            case .array(let values)?:
                elements[tag] = Element(vr: vr, values: values)
            case let other?:
                throw DICOMJSONError(entry: entry, tag: tag, problem: "\"Value\" must be an array, found \(other.kind)")
            }
        }
        self.elements = elements
    }

    public var tags: [DICOMTag] { elements.keys.sorted() }

    /// The first value as text, padding trimmed; a PN's "Alphabetic" component. nil when
    /// absent or empty.
    public func text(_ tag: DICOMTag) throws(DICOMJSONError) -> String? {
        guard let value = elements[tag]?.values.first else { return nil }
        switch value {
        case .null:
            return nil
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : trimmed
        case .object(let components) where elements[tag]?.vr == "PN":
            switch components["Alphabetic"] {
            case nil, .null?: return nil
            case .string(let name)?: return name.isEmpty ? nil : name
            case let other?: throw DICOMJSONError(entry: entry, tag: tag, problem: "\"Alphabetic\" must be a string, found \(other.kind)")
            }
        default:
            throw DICOMJSONError(entry: entry, tag: tag, problem: "expected a string value, found \(value.kind)")
        }
    }

    /// The first value as an integer (IS, US, UL…), from a JSON number or a string.
    public func integer(_ tag: DICOMTag) throws(DICOMJSONError) -> Int? {
        guard let number = try decimal(tag) else { return nil }
        // A Decimal prints integral values without a fraction, so Int(_:) reads exactly those.
        guard let value = Int(number.description) else {
            throw DICOMJSONError(entry: entry, tag: tag, problem: "\(number) is not an integer")
        }
        return value
    }

    /// The first value as an exact decimal (DS), from a JSON number or a string.
    public func decimal(_ tag: DICOMTag) throws(DICOMJSONError) -> Decimal? {
        guard let value = elements[tag]?.values.first else { return nil }
        switch value {
        case .null:
            return nil
        case .number(let number):
            return number
        case .string(let text):
            if text.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
            guard let number = DICOMText.decimalString(text) else {
                throw DICOMJSONError(entry: entry, tag: tag, problem: "\"\(text.prefix(40))\" is not a number")
            }
            return number
        default:
            throw DICOMJSONError(entry: entry, tag: tag, problem: "expected a number, found \(value.kind)")
        }
    }

    /// The first value as a date (DA, PS3.5 6.2).
    public func date(_ tag: DICOMTag) throws(DICOMJSONError) -> DICOMDate? {
        guard let text = try text(tag) else { return nil }
        guard let date = DICOMDate(dicom: text) else {
            throw DICOMJSONError(entry: entry, tag: tag, problem: "\"\(text.prefix(40))\" is not a date (YYYYMMDD, PS3.5 6.2)")
        }
        return date
    }

    /// The first value as an age (AS, PS3.5 6.2).
    public func age(_ tag: DICOMTag) throws(DICOMJSONError) -> DICOMAge? {
        guard let text = try text(tag) else { return nil }
        guard let age = DICOMAge(dicom: text) else {
            throw DICOMJSONError(entry: entry, tag: tag, problem: "\"\(text.prefix(40))\" is not an age (nnnD, nnnW, nnnM or nnnY, PS3.5 6.2)")
        }
        return age
    }

    /// A value the dataset must have (a UID that identifies the record).
    public func requiredText(_ tag: DICOMTag, _ name: String) throws(DICOMJSONError) -> String {
        guard let text = try text(tag) else {
            throw DICOMJSONError(entry: entry, tag: tag, problem: "the \(name) is missing")
        }
        return text
    }
}
