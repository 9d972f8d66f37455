import MeshCore

extension SyntheticCases {
    /// The vendors a site's studies come from. Sites buy from few vendors and replace
    /// CT and MR scanners about every ten years, sometimes switching vendor; mammography
    /// is mostly Hologic everywhere, radiography mostly Agfa, Carestream and Fujifilm.
    struct Fleet: Sendable {
        let ct: Weighted<Manufacturer>
        let mr: Weighted<Manufacturer>
        /// PET and gamma cameras.
        let nuclear: Weighted<Manufacturer>
        let mammography: Weighted<Manufacturer>
        let radiography: Weighted<Manufacturer>
        let ultrasound: Weighted<Manufacturer>
        /// The year CT and MR were replaced, and the vendors since.
        let renewal: (year: Int, ct: Weighted<Manufacturer>, mr: Weighted<Manufacturer>)

        /// Share of studies imported from other hospitals, whose vendor names the
        /// normalisation does not recognise.
        static let importedShare = 0.025

        func manufacturer(for modality: Modality, year: Int, random: inout SeededRandom) -> Manufacturer {
            if random.unitInterval() < Self.importedShare {
                return .other
            }
            let renewed = year >= renewal.year
            return switch modality {
            case .ct: (renewed ? renewal.ct : ct).draw(&random)
            case .mr: (renewed ? renewal.mr : mr).draw(&random)
            case .pt, .nm: nuclear.draw(&random)
            case .mg: mammography.draw(&random)
            case .cr, .dx: radiography.draw(&random)
            case .us: ultrasound.draw(&random)
            }
        }

        private static let hologicMammography = Weighted<Manufacturer>([.hologic: 75, .ge: 12, .siemens: 8, .fujifilm: 5])

        /// Mostly Siemens, then a partial move to Canon and United Imaging CT.
        static let general = Fleet(
            ct: Weighted([.siemens: 60, .ge: 20, .philips: 12, .canon: 8]),
            mr: Weighted([.siemens: 65, .philips: 25, .ge: 10]),
            nuclear: Weighted([.siemens: 70, .ge: 30]),
            mammography: hologicMammography,
            radiography: Weighted([.agfa: 45, .carestream: 25, .fujifilm: 20, .siemens: 10]),
            ultrasound: Weighted([.philips: 35, .ge: 30, .siemens: 20, .canon: 15]),
            renewal: (2017, Weighted([.siemens: 55, .canon: 25, .unitedImaging: 10, .ge: 10]), Weighted([.siemens: 70, .philips: 30]))
        )

        /// GE and Philips; transrectal ultrasound probes from specialist vendors show as OTHER.
        static let prostate = Fleet(
            ct: Weighted([.ge: 55, .philips: 35, .siemens: 10]),
            mr: Weighted([.ge: 50, .philips: 45, .siemens: 5]),
            nuclear: Weighted([.ge: 60, .philips: 25, .siemens: 15]),
            mammography: hologicMammography,
            radiography: Weighted([.carestream: 60, .philips: 40]),
            ultrasound: Weighted([.ge: 45, .philips: 35, .other: 20]),
            renewal: (2019, Weighted([.philips: 55, .ge: 45]), Weighted([.philips: 60, .ge: 40]))
        )

        /// Hologic mammography, Philips MR replaced by Siemens.
        static let breast = Fleet(
            ct: Weighted([.siemens: 60, .philips: 40]),
            mr: Weighted([.philips: 55, .siemens: 30, .ge: 15]),
            nuclear: Weighted([.siemens: 100]),
            mammography: Weighted([.hologic: 72, .fujifilm: 14, .ge: 9, .siemens: 5]),
            radiography: Weighted([.fujifilm: 70, .agfa: 30]),
            ultrasound: Weighted([.siemens: 40, .ge: 35, .canon: 25]),
            renewal: (2015, Weighted([.siemens: 100]), Weighted([.siemens: 70, .philips: 30]))
        )

        /// Philips and Siemens, Canon ultrasound.
        static let paediatric = Fleet(
            ct: Weighted([.philips: 55, .siemens: 35, .canon: 10]),
            mr: Weighted([.philips: 60, .siemens: 40]),
            nuclear: Weighted([.ge: 60, .siemens: 40]),
            mammography: hologicMammography,
            radiography: Weighted([.carestream: 55, .agfa: 45]),
            ultrasound: Weighted([.philips: 50, .canon: 30, .ge: 20]),
            renewal: (2018, Weighted([.siemens: 50, .philips: 40, .canon: 10]), Weighted([.philips: 45, .siemens: 55]))
        )

        /// Canon CT, later partly United Imaging.
        static let lung = Fleet(
            ct: Weighted([.canon: 45, .siemens: 35, .ge: 20]),
            mr: Weighted([.siemens: 60, .ge: 40]),
            nuclear: Weighted([.ge: 55, .siemens: 45]),
            mammography: hologicMammography,
            radiography: Weighted([.agfa: 50, .fujifilm: 30, .carestream: 20]),
            ultrasound: Weighted([.ge: 60, .philips: 40]),
            renewal: (2020, Weighted([.unitedImaging: 30, .siemens: 40, .canon: 30]), Weighted([.siemens: 65, .ge: 35]))
        )
    }
}
