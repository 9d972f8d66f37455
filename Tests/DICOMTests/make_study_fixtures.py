#!/usr/bin/env python3
"""Writes a small site's worth of DICOM studies with pydicom, the independent producer, and
what each study must become when its files are combined into one row.

Usage: make_study_fixtures.py OUTPUT_DIR

Writes OUTPUT_DIR/study<N>/series<M>/instance<K>.dcm and OUTPUT_DIR/expected.json. The
expected rows are computed here from what pydicom reads back from the written files, by the
primary-series rule of Sources/DICOM/DICOMStudy.swift:

- the primary series has the most instances, ties broken by the smaller Series Instance UID;
- modality, body part and manufacturer come from the first series, in that order, that has
  the attribute; so does the slice thickness, where a series' slice thickness is the
  thinnest any of its instances declares;
- the study's instance count sums every series, its series count counts them.

Everything is deterministic: UIDs are derived from one fixed root, dates are fixed, pixel
data is a fixed 16x16 pattern. Patient-level attributes (sex, birth date) agree across the
studies of one Patient ID, as a server that indexes patients by Patient ID (Orthanc) keeps
them once per patient.
"""
import json
import os
import sys
from decimal import Decimal

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

sys.dont_write_bytecode = True  # no __pycache__ beside the test sources
from make_dicom_fixtures import add_pixels  # noqa: E402

UID_ROOT = "1.2.826.0.1.3680043.8.498.4242"
SOP_CLASSES = {
    "CT": "1.2.840.10008.5.1.4.1.1.2",
    "MR": "1.2.840.10008.5.1.4.1.1.4",
    "PT": "1.2.840.10008.5.1.4.1.1.128",
    "MG": "1.2.840.10008.5.1.4.1.1.1.2",
}

# One entry per study: patient-level and study-level attributes, then its series. A series
# gives its modality, body part and manufacturer (None: the file lacks the attribute) and one
# slice thickness per instance (None: that instance lacks it).
STUDIES = [
    {
        "patient": {"PatientID": "P0001", "PatientSex": "M", "PatientBirthDate": "19650102"},
        "PatientAge": "054Y", "StudyDate": "20190315", "implicit": False,
        "series": [
            {"Modality": "CT", "BodyPartExamined": "CHEST", "Manufacturer": "SIEMENS", "thickness": ["1.25", "1.25", "1.25"]},
            {"Modality": "CT", "BodyPartExamined": "CHEST", "Manufacturer": "SIEMENS", "thickness": [None]},
        ],
    },
    {
        # PET/CT: the PT series has more instances, so the study is a PT study.
        "patient": {"PatientID": "P0001", "PatientSex": "M", "PatientBirthDate": "19650102"},
        "PatientAge": "055Y", "StudyDate": "20200410", "implicit": False,
        "series": [
            {"Modality": "CT", "BodyPartExamined": "WHOLEBODY", "Manufacturer": "GE MEDICAL SYSTEMS", "thickness": ["3.75", "3.75"]},
            {"Modality": "PT", "BodyPartExamined": "WHOLEBODY", "Manufacturer": "GE MEDICAL SYSTEMS", "thickness": ["3.27", "3.27", "3.27", "3.27"]},
            {"Modality": "CT", "BodyPartExamined": "WHOLEBODY", "Manufacturer": "GE MEDICAL SYSTEMS", "thickness": [None]},
        ],
    },
    {
        # Two series of three instances: the smaller Series Instance UID is primary; it has
        # no body part, which comes from the other series.
        "patient": {"PatientID": "P0002", "PatientSex": "M", "PatientBirthDate": "19520720"},
        "PatientAge": "071Y", "StudyDate": "20230801", "implicit": True,
        "series": [
            {"Modality": "MR", "BodyPartExamined": None, "Manufacturer": "Philips", "thickness": ["3.0", "3.0", "3.0"]},
            {"Modality": "MR", "BodyPartExamined": "PROSTATE", "Manufacturer": "Philips", "thickness": ["4", "4", "4"]},
        ],
    },
    {
        # Only a birth date, no Patient's Age.
        "patient": {"PatientID": "P0003", "PatientSex": "F", "PatientBirthDate": "19700512"},
        "PatientAge": None, "StudyDate": "20210601", "implicit": False,
        "series": [
            {"Modality": "MG", "BodyPartExamined": "BREAST", "Manufacturer": "Siemens Healthineers", "thickness": [None, None, None, None]},
        ],
    },
    {
        # An infant's age in months; the primary series declares slice thickness on some
        # instances only, with different values (the thinnest counts), the other series is
        # thinner but not primary.
        "patient": {"PatientID": "P0004", "PatientSex": "F", "PatientBirthDate": "20171001"},
        "PatientAge": "018M", "StudyDate": "20190410", "implicit": True,
        "series": [
            {"Modality": "CT", "BodyPartExamined": "HEAD", "Manufacturer": "TOSHIBA", "thickness": ["5.0", None, "2.5", None, "5.0"]},
            {"Modality": "CT", "BodyPartExamined": "HEAD", "Manufacturer": "TOSHIBA", "thickness": ["0.5", "0.5"]},
        ],
    },
    {
        # CT with no slice thickness anywhere.
        "patient": {"PatientID": "P0005", "PatientSex": "O", "PatientBirthDate": "19561111"},
        "PatientAge": "067Y", "StudyDate": "20240105", "implicit": True,
        "series": [
            {"Modality": "CT", "BodyPartExamined": "ABDOMEN", "Manufacturer": "Canon Medical Systems", "thickness": [None, None]},
        ],
    },
    {
        # The same patient as the MG study, with both age and birth date.
        "patient": {"PatientID": "P0003", "PatientSex": "F", "PatientBirthDate": "19700512"},
        "PatientAge": "051Y", "StudyDate": "20220115", "implicit": False,
        "series": [
            {"Modality": "MR", "BodyPartExamined": "BREAST", "Manufacturer": "SIEMENS", "thickness": ["1.5", "1.5"]},
            {"Modality": "MR", "BodyPartExamined": "BREAST", "Manufacturer": "SIEMENS", "thickness": ["2"]},
        ],
    },
    {
        # No body part in any series, an empty Patient's Sex (type 2, PS3.5 7.4).
        "patient": {"PatientID": "P0006", "PatientSex": "", "PatientBirthDate": "19500303"},
        "PatientAge": "072Y", "StudyDate": "20220909", "implicit": False,
        "series": [
            {"Modality": "PT", "BodyPartExamined": None, "Manufacturer": "Siemens Healthineers", "thickness": ["2.0", "2.0", "2.0"]},
        ],
    },
]

KEYWORDS = [
    "StudyInstanceUID", "SeriesInstanceUID", "PatientID", "PatientSex", "PatientAge", "PatientBirthDate",
    "StudyDate", "Modality", "BodyPartExamined", "Manufacturer", "SliceThickness",
]


def uid(*numbers):
    return ".".join([UID_ROOT] + [str(n) for n in numbers])


def instance_dataset(study_number, study, series_number, series, instance_number, thickness):
    sop_class = SOP_CLASSES[series["Modality"]]
    sop_instance = uid(study_number, series_number, instance_number)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ImplicitVRLittleEndian if study["implicit"] else ExplicitVRLittleEndian
    meta.ImplementationClassUID = uid(0, 1)
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_instance
    ds.StudyInstanceUID = uid(study_number)
    ds.SeriesInstanceUID = uid(study_number, series_number)
    ds.StudyID = str(study_number)
    ds.SeriesNumber = series_number
    ds.InstanceNumber = instance_number
    ds.PatientName = "Pseudonym^" + study["patient"]["PatientID"]
    for keyword, value in study["patient"].items():
        setattr(ds, keyword, value)
    if study["PatientAge"] is not None:
        ds.PatientAge = study["PatientAge"]
    ds.StudyDate = study["StudyDate"]
    ds.StudyTime = "101500"
    ds.Modality = series["Modality"]
    for keyword in ("BodyPartExamined", "Manufacturer"):
        if series[keyword] is not None:
            setattr(ds, keyword, series[keyword])
    if thickness is not None:
        ds.SliceThickness = thickness
    add_pixels(ds, 16, 16)  # 512 bytes of a fixed pattern
    return ds


def write_files(directory):
    paths = []
    for study_number, study in enumerate(STUDIES, start=1):
        for series_number, series in enumerate(study["series"], start=1):
            folder = os.path.join(directory, "study%d" % study_number, "series%d" % series_number)
            os.makedirs(folder, exist_ok=True)
            for instance_number, thickness in enumerate(series["thickness"], start=1):
                ds = instance_dataset(study_number, study, series_number, series, instance_number, thickness)
                path = os.path.join(folder, "instance%d.dcm" % instance_number)
                ds.save_as(path, implicit_vr=study["implicit"], little_endian=True, enforce_file_format=True)
                paths.append(path)
    return paths


def read_back(path):
    """The attributes as pydicom reads them from the file: text with padding removed, None
    when absent or empty."""
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    values = {}
    for keyword in KEYWORDS:
        element = ds.get(keyword)
        values[keyword] = None if element is None or str(element).strip() == "" else str(element).strip()
    return values


def expected_studies(directory, paths):
    studies = {}
    for path in paths:
        values = read_back(path)
        study = studies.setdefault(values["StudyInstanceUID"], {"level": {}, "series": {}})
        for keyword in ("PatientID", "PatientSex", "PatientAge", "PatientBirthDate", "StudyDate"):
            known = study["level"].get(keyword)
            if known is not None and values[keyword] is not None and known != values[keyword]:
                raise SystemExit("%s: %s disagrees within its study" % (path, keyword))
            study["level"][keyword] = known if known is not None else values[keyword]
        series = study["series"].setdefault(values["SeriesInstanceUID"], {"uid": values["SeriesInstanceUID"], "count": 0, "thicknesses": []})
        series["count"] += 1
        for keyword in ("Modality", "BodyPartExamined", "Manufacturer"):
            if series.get(keyword) is None:
                series[keyword] = values[keyword]
        if values["SliceThickness"] is not None:
            series["thicknesses"].append(values["SliceThickness"])
    rows = []
    for study_uid in sorted(studies):
        study = studies[study_uid]
        ordered = sorted(study["series"].values(), key=lambda s: (-s["count"], s["uid"]))

        def first(keyword):
            return next((s[keyword] for s in ordered if s[keyword] is not None), None)

        thinnest = next((min(s["thicknesses"], key=Decimal) for s in ordered if s["thicknesses"]), None)
        row = {"StudyInstanceUID": study_uid}
        row.update(study["level"])
        row.update({
            "Modality": first("Modality"),
            "BodyPartExamined": first("BodyPartExamined"),
            "Manufacturer": first("Manufacturer"),
            "SliceThickness": thinnest,
            "NumberOfStudyRelatedInstances": sum(s["count"] for s in ordered),
            "NumberOfStudyRelatedSeries": len(ordered),
            "PrimarySeriesInstanceUID": ordered[0]["uid"],
        })
        rows.append(row)
    return rows


def main(directory):
    os.makedirs(directory, exist_ok=True)
    paths = write_files(directory)
    expected = {
        "files": sorted(os.path.relpath(path, directory) for path in paths),
        "studies": expected_studies(directory, paths),
    }
    with open(os.path.join(directory, "expected.json"), "w") as out:
        json.dump(expected, out, indent=2, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
