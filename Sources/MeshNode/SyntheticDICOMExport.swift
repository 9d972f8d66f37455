import Crypto
import DICOM
import Foundation
import SyntheticData

/// A synthetic site as a hospital would hand it over: DICOM files of its studies (headers
/// only, the way a PACS exports them, with vendors' own spellings), a clinical export keyed
/// by Patient ID in ICD-10 subcodes and SNOMED CT, and the mapping that turns both into the
/// dictionary's codes. For the demo's Orthanc site and the DICOMweb import benchmark:
/// `meshnode import --dicom-dir` or a sync from a server holding the files gives back the
/// site's studies.
struct SyntheticDICOMExport {
    let site: SyntheticCases
    /// Files written per study (one series); a real study has hundreds, which would only
    /// cost disk here: `image_count` is what the server counts.
    let instancesPerStudy: Int

    /// How vendors write their names in Manufacturer (0008,0070), per dictionary code; the
    /// export uses them in turn so the mapping has work to do.
    static let vendorSpellings: [SyntheticCases.Manufacturer: [String]] = [
        .siemens: ["SIEMENS", "Siemens Healthineers"], .ge: ["GE MEDICAL SYSTEMS", "GE Healthcare"],
        .philips: ["Philips Medical Systems", "Philips"], .canon: ["TOSHIBA", "Canon Medical Systems"],
        .fujifilm: ["FUJIFILM Corporation"], .hologic: ["HOLOGIC, Inc."], .agfa: ["Agfa"], .carestream: ["Carestream Health"],
        .unitedImaging: ["UIH"], .other: ["ACME Imaging"],
    ]

    /// SNOMED CT concepts some clinical systems record instead of ICD-10.
    static let snomedDiagnoses: [SyntheticCases.Diagnosis: String] = [
        .prostate: "399068003", .breast: "254837009", .lung: "254637007", .colon: "363406005",
    ]

    /// SOP classes by modality (PS3.4 B.5); Secondary Capture for the rest.
    static let sopClasses: [SyntheticCases.Modality: String] = [
        .ct: "1.2.840.10008.5.1.4.1.1.2", .mr: "1.2.840.10008.5.1.4.1.1.4", .pt: "1.2.840.10008.5.1.4.1.1.128",
        .mg: "1.2.840.10008.5.1.4.1.1.1.2", .us: "1.2.840.10008.5.1.4.1.1.6.1", .cr: "1.2.840.10008.5.1.4.1.1.1",
        .dx: "1.2.840.10008.5.1.4.1.1.1.1", .nm: "1.2.840.10008.5.1.4.1.1.20",
    ]

    struct Summary {
        var subjects = 0
        var studies = 0
        var files = 0
    }

    /// Writes the files under `folder` (which must not exist or be empty), and the clinical
    /// export and the mapping to their paths.
    func write(folder: String, clinical: String, mapping: String) throws -> Summary {
        let manager = FileManager.default
        if let existing = try? manager.contentsOfDirectory(atPath: folder), !existing.isEmpty {
            throw SynthError("'\(folder)' is not empty; give a new folder for the DICOM files")
        }
        var summary = Summary()
        var clinicalText = "patient_id,diagnosis,tumour_stage,age_at_diagnosis\n"
        var vendorTurn = 0
        try site.forEachSubject { subject, studies in
            let patient = site.pseudonym(subject.number)
            summary.subjects += 1
            let diagnosis = subject.number % 3 == 0 ? Self.snomedDiagnoses[subject.diagnosis].map { "SNOMED:\($0)" } : nil
            clinicalText += "\(patient),\(diagnosis ?? subject.diagnosis.rawValue + ".9"),\(subject.stage.rawValue),\(subject.ageTenths / 10).\(subject.ageTenths % 10)\n"
            let firstYear = studies.map(\.year).min() ?? 0
            for (index, study) in studies.enumerated() {
                summary.studies += 1
                let studyUID = uid(patient, index)
                let seriesUID = uid(patient, index, "series")
                let spellings = Self.vendorSpellings[study.manufacturer]!
                vendorTurn += 1
                let age = subject.ageTenths / 10 + (study.year - firstYear)
                var attributes: [DICOMFileWriter.Attribute] = [
                    .init(.studyDate, "DA", String(format: "%04d%02d%02d", study.year, 1 + (subject.number + index) % 12, 1 + (subject.number * 7 + index) % 28)),
                    .init(.modality, "CS", study.modality.rawValue),
                    .init(.manufacturer, "LO", spellings[vendorTurn % spellings.count]),
                    .init(DICOMTag(0x0010, 0x0010), "PN", "Synthetic^\(patient)"),
                    .init(.patientID, "LO", patient),
                    .init(.patientSex, "CS", subject.sex.rawValue),
                    .init(.patientAge, "AS", String(format: "%03dY", min(age, 999))),
                    .init(.bodyPartExamined, "CS", study.bodyPart.rawValue),
                    .init(.studyInstanceUID, "UI", studyUID),
                    .init(.seriesInstanceUID, "UI", seriesUID),
                    .init(DICOMTag(0x0020, 0x0011), "IS", "1"),
                ]
                if let hundredths = study.sliceThicknessHundredths {
                    attributes.append(.init(.sliceThickness, "DS", String(format: "%d.%02d", hundredths / 100, hundredths % 100)))
                }
                let directory = "\(folder)/\(patient)/\(index + 1)"
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
                for instance in 1...max(1, min(instancesPerStudy, study.imageCount)) {
                    let bytes = DICOMFileWriter.file(
                        sopClassUID: Self.sopClasses[study.modality] ?? "1.2.840.10008.5.1.4.1.1.7",
                        sopInstanceUID: uid(patient, index, "instance", instance),
                        attributes: attributes + [.init(DICOMTag(0x0020, 0x0013), "IS", String(instance))]
                    )
                    guard manager.createFile(atPath: "\(directory)/\(instance).dcm", contents: Data(bytes)) else {
                        throw SynthError("cannot write '\(directory)/\(instance).dcm'")
                    }
                    summary.files += 1
                }
            }
        }
        try clinicalText.write(toFile: clinical, atomically: true, encoding: .utf8)
        try mappingYAML().write(toFile: mapping, atomically: true, encoding: .utf8)
        return summary
    }

    /// The mapping for what the export writes: vendor spellings, ICD-10 subcodes and SNOMED CT.
    func mappingYAML() -> String {
        var lines = ["# Site vocabularies onto the OncoMesh dictionary (written by meshnode synth --dicom-dir).", "version: 1", "manufacturer:"]
        for manufacturer in SyntheticCases.Manufacturer.allCases {
            let values = Self.vendorSpellings[manufacturer]!.map { "\"\($0)\"" }.joined(separator: ", ")
            lines.append("  \(manufacturer.rawValue): [\(values)]")
        }
        lines.append("diagnosis:")
        for diagnosis in SyntheticCases.Diagnosis.allCases {
            var values = ["\"\(diagnosis.rawValue).9\""]
            if let snomed = Self.snomedDiagnoses[diagnosis] { values.append("\"SNOMED:\(snomed)\"") }
            lines.append("  \(diagnosis.rawValue): [\(values.joined(separator: ", "))]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A UID under the root 2.25 (a UUID as a decimal integer, PS3.5 B.2), derived from the
    /// site's seed and the parts, so that the same site always has the same UIDs.
    private func uid(_ parts: CustomStringConvertible...) -> String {
        let text = ([site.profile.rawValue, String(site.seed)] + parts.map(\.description)).joined(separator: "/")
        let digest = Array(SHA256.hash(data: Data(text.utf8)))
        var value: UInt128 = 0
        for byte in digest.prefix(16) { value = value << 8 | UInt128(byte) }
        return "2.25.\(value)"
    }
}
