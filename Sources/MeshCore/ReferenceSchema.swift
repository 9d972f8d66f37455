extension Schema {
    /// The reference data dictionary of docs/ARCHITECTURE.md ("Data model"): the fields that European
    /// cancer-imaging search filters on, coded with public vocabularies. A site that holds
    /// other fields or codes writes its own file in the same format (`meshnode schema`
    /// prints this one as a starting point).
    public static let referenceYAML = """
        # OncoMesh data dictionary: one table, one row per imaging study.
        # type: key | categorical | numeric; level: subject (a property of the person) or
        # study (a property of one imaging study). Numerics are kept as exact fixed-point
        # integers with `scale` decimal places.
        version: 1
        table: cases
        attributes:
          - name: subject_id
            type: key
            level: subject
            description: site-local pseudonym; never leaves the site
          - name: sex
            type: categorical
            level: subject
            coding: DICOM PatientSex
            vocabulary: [M, F, O]
          - name: age_at_diagnosis
            type: numeric
            level: subject
            unit: years
            scale: 1
            min: 0
            max: 120
          - name: diagnosis
            type: categorical
            level: subject
            coding: ICD-10 (3-character category)
            vocabulary: [C15, C16, C18, C20, C22, C25, C34, C40, C43, C49, C50, C53, C56, C61, C62, C64, C67, C69, C71, C73, C74, C81, C83]
          - name: tumour_stage
            type: categorical
            level: subject
            coding: overall stage group
            vocabulary: [I, II, III, IV, unknown]
          - name: modality
            type: categorical
            level: study
            coding: DICOM Modality
            vocabulary: [CT, MR, PT, MG, US, CR, DX, NM]
          - name: body_part
            type: categorical
            level: study
            coding: DICOM BodyPartExamined
            vocabulary: [BREAST, PROSTATE, CHEST, ABDOMEN, PELVIS, HEAD, HEADNECK, BRAIN, LIVER, KIDNEY, SPINE, EXTREMITY, WHOLEBODY]
          - name: manufacturer
            type: categorical
            level: study
            coding: normalised vendor
            vocabulary: [SIEMENS, GE, PHILIPS, CANON, FUJIFILM, HOLOGIC, AGFA, CARESTREAM, UNITED_IMAGING, OTHER]
          - name: study_year
            type: numeric
            level: study
            unit: year
            scale: 0
            min: 1990
            max: 2030
          - name: slice_thickness_mm
            type: numeric
            level: study
            unit: mm
            scale: 2
            min: 0
            max: 50
            nullable: true
          - name: image_count
            type: numeric
            level: study
            unit: images
            scale: 0
            min: 1
            max: 100000
        """

    /// The reference schema, parsed once.
    public static let reference: Schema = {
        do {
            return try Schema(yaml: referenceYAML, source: "<reference schema>")
        } catch {
            preconditionFailure("the built-in reference schema is invalid: \(error)")
        }
    }()
}
