import DICOM
import Foundation
import GRDB

/// The imaging studies a site's data was last built from, kept in the site database
/// (`imaging_studies`) beside the `cases` rows derived from them, so that a sync fetches
/// only what changed: a study whose instance and series counts are what the server reports
/// is not asked for again (``StudySyncPlan``).
///
/// The table is written in the same transaction as the `cases` rows, so the two never
/// disagree: a sync that fails leaves both as they were.
enum ImagingStudyTable {
    static let name = "imaging_studies"

    static func create(in db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS \(name) (
                    study_uid TEXT PRIMARY KEY NOT NULL,
                    patient_id TEXT,
                    patient_sex TEXT,
                    patient_age TEXT,
                    patient_birth_date TEXT,
                    study_date TEXT,
                    modality TEXT,
                    body_part TEXT,
                    manufacturer TEXT,
                    slice_thickness TEXT,
                    instance_count INTEGER NOT NULL,
                    series_count INTEGER NOT NULL
                )
                """
        )
    }

    /// The studies held, by Study Instance UID; empty before the first imaging import.
    static func read(from db: Database) throws -> [String: DICOMStudy] {
        guard try db.tableExists(name) else { return [:] }
        var studies: [String: DICOMStudy] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM \(name)")
        while let row = try rows.next() {
            let uid: String = row["study_uid"]
            studies[uid] = DICOMStudy(
                studyInstanceUID: uid, patientID: row["patient_id"], patientSex: row["patient_sex"],
                patientAge: (row["patient_age"] as String?).flatMap { DICOMAge(dicom: $0) },
                patientBirthDate: (row["patient_birth_date"] as String?).flatMap { DICOMDate(dicom: $0) },
                studyDate: (row["study_date"] as String?).flatMap { DICOMDate(dicom: $0) },
                modality: row["modality"], bodyPartExamined: row["body_part"], manufacturer: row["manufacturer"],
                sliceThickness: (row["slice_thickness"] as String?).flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) },
                instanceCount: row["instance_count"], seriesCount: row["series_count"]
            )
        }
        return studies
    }

    /// Replaces the table's contents with `studies`.
    static func replace(with studies: [DICOMStudy], in db: Database) throws {
        try create(in: db)
        try db.execute(sql: "DELETE FROM \(name)")
        let insert = try db.makeStatement(sql: "INSERT INTO \(name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for study in studies {
            let values: [(any DatabaseValueConvertible)?] = [
                study.studyInstanceUID, study.patientID, study.patientSex, study.patientAge?.description,
                study.patientBirthDate?.description, study.studyDate?.description, study.modality, study.bodyPartExamined,
                study.manufacturer, study.sliceThickness.map { "\($0)" }, study.instanceCount, study.seriesCount,
            ]
            try insert.execute(arguments: StatementArguments(values))
        }
    }
}
