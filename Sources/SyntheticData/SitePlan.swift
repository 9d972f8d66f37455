import MeshCore

extension SyntheticCases {
    /// Everything a profile fixes.
    struct SitePlan: Sendable {
        let caseMix: Weighted<Cohort>
        /// Studies per subject; skewed, since most patients have a few and some many.
        let studiesPerSubject: Weighted<Int>
        /// First year of the digital archive: older studies were never migrated.
        let archiveStartYear: Int
        let fleet: Fleet

        /// Years between consecutive studies of one patient: staging studies cluster in
        /// the year of diagnosis, follow-up runs over several years.
        static let followUpGapYears = Weighted<Int>([0: 45, 1: 35, 2: 14, 3: 6])

        /// Share of first studies that are the cohort's primary exam rather than any other.
        static let primaryExamShare = 0.8

        func drawSubject(number: Int, studies: inout [Study], random: inout SeededRandom) -> Subject {
            let cohort = caseMix.draw(&random)
            let subject = Subject(
                number: number,
                sex: Self.drawSex(cohort.diagnosis, &random),
                ageTenths: cohort.age.drawTenths(&random),
                diagnosis: cohort.diagnosis,
                stage: cohort.stages.draw(&random)
            )
            studies.removeAll(keepingCapacity: true)
            let count = studiesPerSubject.draw(&random)
            // More patients in recent years, as archives and referrals grow: the square root
            // of a uniform rises linearly.
            let span = Double(SyntheticCases.lastStudyYear - archiveStartYear + 1)
            var year = min(archiveStartYear + Int(span * random.unitInterval().squareRoot()), SyntheticCases.lastStudyYear)
            for index in 0..<count {
                if index > 0 {
                    year += Self.followUpGapYears.draw(&random)
                    // Follow-up is censored at the end of the archive: patients diagnosed
                    // recently have had fewer studies so far.
                    if year > SyntheticCases.lastStudyYear { break }
                }
                let exam = index == 0 && random.unitInterval() < Self.primaryExamShare
                    ? cohort.exams.primary : cohort.exams.mix.draw(&random)
                studies.append(Acquisition.draw(exam, year: year, fleet: fleet, random: &random))
            }
            return subject
        }

        private static func drawSex(_ diagnosis: Diagnosis, _ random: inout SeededRandom) -> Sex {
            let male = diagnosis.maleFraction
            // PACS hold a few "O" (other) entries, but never for sex-specific organs.
            if male > 0.02, male < 0.98, random.unitInterval() < 0.001 {
                return .other
            }
            return random.unitInterval() < male ? .male : .female
        }

        init(caseMix: Weighted<Cohort>, studiesPerSubject: Weighted<Int>, archiveStartYear: Int, fleet: Fleet) {
            self.caseMix = caseMix
            self.studiesPerSubject = studiesPerSubject
            self.archiveStartYear = archiveStartYear
            self.fleet = fleet
        }

        init(_ profile: SiteProfile) {
            switch profile {
            case .general:
                // Hospital case mix close to European incidence (ECIS): breast, lung,
                // prostate and colorectal make up half, and the rare cancers a few
                // subjects per thousand.
                self.init(
                    caseMix: Weighted([
                        Cohort.adult(.breast): 13, Cohort.adult(.lung): 12, Cohort.adult(.prostate): 11,
                        Cohort.adult(.colon): 9, Cohort.adult(.rectum): 5, Cohort.adult(.bladder): 4,
                        Cohort.adult(.melanoma): 4, Cohort.adult(.diffuseLymphoma): 3.5, Cohort.adult(.pancreas): 3.5,
                        Cohort.adult(.kidney): 3.5, Cohort.adult(.stomach): 3, Cohort.adult(.oesophagus): 2,
                        Cohort.adult(.liver): 2, Cohort.adult(.ovary): 2, Cohort.adult(.brain): 2,
                        Cohort.adult(.cervix): 1.5, Cohort.adult(.hodgkinLymphoma): 0.8, Cohort.adult(.softTissue): 0.6,
                        Cohort.adult(.thyroid): 0.25, Cohort.adult(.testis): 0.2, Cohort.adult(.eye): 0.1,
                        Cohort.adult(.bone): 0.1, Cohort.adult(.adrenal): 0.1,
                    ]),
                    studiesPerSubject: Weighted([1: 22, 2: 22, 3: 18, 4: 13, 5: 10, 6: 7, 7: 5, 8: 3]),
                    archiveStartYear: 2005,
                    fleet: .general
                )
            case .prostate:
                // Active surveillance brings repeated prostate MRI.
                self.init(
                    caseMix: Weighted([
                        Cohort.adult(.prostate): 80, Cohort.adult(.bladder): 9, Cohort.adult(.kidney): 7,
                        Cohort.adult(.testis): 2.5, Cohort.adult(.rectum): 0.6, Cohort.adult(.adrenal): 0.6,
                    ]),
                    studiesPerSubject: Weighted([1: 15, 2: 20, 3: 20, 4: 15, 5: 12, 6: 8, 7: 6, 8: 4]),
                    archiveStartYear: 2008,
                    fleet: .prostate
                )
            case .breast:
                // Screening, diagnostic work-up and annual surveillance mammography.
                self.init(
                    caseMix: Weighted([
                        Cohort.adult(.breast): 90, Cohort.adult(.ovary): 4, Cohort.adult(.cervix): 1.2,
                        Cohort.adult(.diffuseLymphoma): 0.8, Cohort.adult(.softTissue): 0.6, Cohort.adult(.melanoma): 0.6,
                        Cohort.adult(.thyroid): 0.4,
                    ]),
                    studiesPerSubject: Weighted([1: 10, 2: 15, 3: 18, 4: 17, 5: 14, 6: 11, 7: 8, 8: 7]),
                    archiveStartYear: 2005,
                    fleet: .breast
                )
            case .paediatric:
                // Childhood cancer registries: CNS tumours are the largest solid group,
                // then lymphoma, neuroblastoma, sarcomas and Wilms; leukaemia, the most
                // common, is not an imaging cohort. Children are followed up for years.
                self.init(
                    caseMix: Weighted([
                        Cohort.childBrain: 28, Cohort.neuroblastoma: 13, Cohort.childHodgkin: 12,
                        Cohort.boneSarcoma: 12, Cohort.wilms: 10, Cohort.rhabdomyosarcoma: 10,
                        Cohort.childLymphoma: 8, Cohort.retinoblastoma: 5, Cohort.childThyroid: 1.2,
                        Cohort.germCell: 0.8,
                    ]),
                    studiesPerSubject: Weighted([1: 5, 2: 9, 3: 12, 4: 14, 5: 15, 6: 16, 7: 15, 8: 14]),
                    archiveStartYear: 2006,
                    fleet: .paediatric
                )
            case .lung:
                // CT surveillance after treatment makes thoracic patients image-heavy.
                self.init(
                    caseMix: Weighted([
                        Cohort.adult(.lung): 84, Cohort.adult(.oesophagus): 6, Cohort.adult(.diffuseLymphoma): 3,
                        Cohort.adult(.hodgkinLymphoma): 2, Cohort.adult(.melanoma): 1.5, Cohort.adult(.softTissue): 1,
                        Cohort.adult(.thyroid): 0.6, Cohort.adult(.testis): 0.3,
                    ]),
                    studiesPerSubject: Weighted([1: 10, 2: 14, 3: 16, 4: 16, 5: 14, 6: 12, 7: 10, 8: 8]),
                    archiveStartYear: 2010,
                    fleet: .lung
                )
            }
        }
    }
}
