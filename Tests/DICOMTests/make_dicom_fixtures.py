#!/usr/bin/env python3
"""Writes the DICOM files DICOMTests reads, with pydicom as the independent producer.

Usage: make_dicom_fixtures.py OUTPUT_DIR

Writes the files and OUTPUT_DIR/manifest.json: for each file either what pydicom reads
back from it ("header") or the error the reader must report ("error": kind, tag, offset).
"""
import json
import os
import struct
import sys

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
    generate_uid,
)

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
KEYWORDS = [
    "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "Modality", "BodyPartExamined",
    "Manufacturer", "SliceThickness", "StudyDate", "PatientID", "PatientSex", "PatientAge",
    "PatientBirthDate",
]
AGE_UNIT_YEARS = {"Y": 1.0, "M": 1.0 / 12.0, "W": 7.0 / 365.25, "D": 1.0 / 365.25}


def base_dataset(transfer_syntax, **attributes):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_IMAGE_STORAGE
    sop_instance_uid = generate_uid()
    meta.MediaStorageSOPInstanceUID = sop_instance_uid
    meta.TransferSyntaxUID = transfer_syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CT_IMAGE_STORAGE
    ds.SOPInstanceUID = sop_instance_uid
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


def add_pixels(ds, rows, columns, frames=1):
    ds.Rows = rows
    ds.Columns = columns
    ds.NumberOfFrames = frames
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = bytes(range(256)) * (rows * columns * frames * 2 // 256)


def add_undefined_length_sequence(ds, keyword, depth):
    """Adds a sequence of undefined length whose first item (also of undefined length)
    holds a Modality and PatientID that must not be taken for the top-level ones and, while
    `depth` > 1, a nested sequence of the same kind; its second item has a defined length."""
    item = Dataset()
    item.Modality = "OT"
    item.PatientID = "NESTED-%d" % depth
    item.CodeValue = "en"
    if depth > 1:
        add_undefined_length_sequence(item, "ConceptNameCodeSequence", depth - 1)
    item.is_undefined_length_sequence_item = True
    defined_item = Dataset()
    defined_item.PatientID = "DEFINED-ITEM"
    setattr(ds, keyword, Sequence([item, defined_item]))
    ds[keyword].is_undefined_length = True
    ds[keyword].value[0].is_undefined_length_sequence_item = True


def save(ds, directory, name, implicit):
    path = os.path.join(directory, name)
    little_endian = ds.file_meta.TransferSyntaxUID != ExplicitVRBigEndian
    ds.save_as(path, implicit_vr=implicit, little_endian=little_endian, enforce_file_format=True)
    return path


def pydicom_view(path):
    """What pydicom reads from the file: each attribute as text (its padding removed), the
    age in years, the pixel data's length and the file's size."""
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    attributes = {}
    for keyword in KEYWORDS:
        element = ds.get(keyword)
        attributes[keyword] = None if element is None or element == "" else str(element).strip()
    age = attributes["PatientAge"]
    full = pydicom.dcmread(path)
    return {
        "attributes": attributes,
        "ageYears": int(age[:3]) * AGE_UNIT_YEARS[age[3]] if age else None,
        "pixelDataLength": len(full.PixelData) if "PixelData" in full else None,
        "fileSize": os.path.getsize(path),
    }


def element_offset(data, signature):
    offset = data.find(signature, 132)
    assert offset > 0, signature
    return offset


def odd_length_file(directory):
    """Explicit VR little endian written byte by byte: odd value lengths (PS3.5 7.1 wants
    even ones, some writers do not) and a sequence of defined length with a nested item."""
    def element(group, number, vr, value):
        if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT"):
            return struct.pack("<HH2sHI", group, number, vr, 0, len(value)) + value
        return struct.pack("<HH2sH", group, number, vr, len(value)) + value

    def meta():
        body = element(0x0002, 0x0001, b"OB", b"\x00\x01")
        body += element(0x0002, 0x0002, b"UI", CT_IMAGE_STORAGE.encode() + b"\x00")
        body += element(0x0002, 0x0003, b"UI", b"1.2.3.4.5.6.7")
        body += element(0x0002, 0x0010, b"UI", ExplicitVRLittleEndian.encode())
        return element(0x0002, 0x0000, b"UL", struct.pack("<I", len(body))) + body

    nested_item = element(0x0010, 0x0020, b"LO", b"INNER")
    item = struct.pack("<HHI", 0xFFFE, 0xE000, len(nested_item)) + nested_item
    dataset = element(0x0008, 0x0006, b"SQ", item)
    dataset += element(0x0008, 0x0016, b"UI", CT_IMAGE_STORAGE.encode())
    dataset += element(0x0008, 0x0018, b"UI", b"1.2.3.4.5.6.7")
    dataset += element(0x0008, 0x0020, b"DA", b"20230607")
    dataset += element(0x0008, 0x0060, b"CS", b"NM ")
    dataset += element(0x0008, 0x0070, b"LO", b"AGFA")
    dataset += element(0x0010, 0x0020, b"LO", b"ODD")
    dataset += element(0x0010, 0x0040, b"CS", b"O")
    dataset += element(0x0018, 0x0050, b"DS", b" 2.5")
    dataset += element(0x0020, 0x000D, b"UI", b"1.2.3.4.9")
    dataset += element(0x0020, 0x000E, b"UI", b"1.2.3.4.10\x00")
    dataset += element(0x0029, 0x1010, b"UT", b"x" * 301)
    path = os.path.join(directory, "nm_agfa_odd_lengths.dcm")
    with open(path, "wb") as out:
        out.write(b"\x00" * 128 + b"DICM" + meta() + dataset)
    return path


def main(directory):
    os.makedirs(directory, exist_ok=True)
    manifest = {}

    ct = base_dataset(
        ExplicitVRLittleEndian, Modality="CT", Manufacturer="SIEMENS", BodyPartExamined="CHEST",
        SliceThickness="1.25", StudyDate="20190315", PatientID="P-001", PatientSex="M",
        PatientAge="054Y", PatientBirthDate="19650102",
    )
    add_pixels(ct, 1024, 1024, frames=2)  # 4 MiB of pixel data
    ct_path = save(ct, directory, "ct_siemens_explicit.dcm", implicit=False)

    ct_implicit = base_dataset(
        ImplicitVRLittleEndian, Modality="CT", Manufacturer="GE MEDICAL SYSTEMS",
        BodyPartExamined="ABDOMEN", StudyDate="20210930", PatientID="P-002", PatientSex="F",
        PatientAge="030M",
    )
    add_pixels(ct_implicit, 128, 128)
    ct_implicit_path = save(ct_implicit, directory, "ct_ge_implicit_no_thickness.dcm", implicit=True)

    mr = base_dataset(
        ExplicitVRLittleEndian, Modality="MR", Manufacturer="Philips Medical Systems",
        BodyPartExamined="PROSTATE", SliceThickness="3.0000001", StudyDate="20200101",
        PatientID="P-003", PatientSex="M", PatientAge="071Y",
    )
    add_undefined_length_sequence(mr, "LanguageCodeSequence", depth=3)
    add_undefined_length_sequence(mr, "OtherPatientIDsSequence", depth=2)
    add_pixels(mr, 64, 64)
    save(mr, directory, "mr_philips_nested_undefined_sequence.dcm", implicit=False)

    mg = base_dataset(
        ImplicitVRLittleEndian, Modality="MG", Manufacturer="HOLOGIC, Inc.", BodyPartExamined="BREAST",
        StudyDate="20180704", PatientID="P-004", PatientSex="F", PatientAge="012W",
    )
    add_undefined_length_sequence(mg, "LanguageCodeSequence", depth=2)
    save(mg, directory, "mg_hologic_implicit_nested.dcm", implicit=True)

    pt = base_dataset(
        ExplicitVRLittleEndian, Modality="PT", Manufacturer="GE", BodyPartExamined="WHOLEBODY",
        SliceThickness="4", StudyDate="20220212", PatientID="P-005", PatientSex="F",
        PatientBirthDate="19800229",
    )
    save(pt, directory, "pt_ge_birth_date_only.dcm", implicit=False)

    us = base_dataset(
        JPEGBaseline8Bit, Modality="US", Manufacturer="CANON_MEC", BodyPartExamined="LIVER",
        StudyDate="20240101", PatientID="P-006", PatientSex="M", PatientAge="005D",
    )
    us.Rows, us.Columns, us.BitsAllocated, us.SamplesPerPixel = 16, 16, 8, 1
    us.PixelData = encapsulate([b"\xff\xd8\xff\xe0" + b"\x00" * 1000 + b"\xff\xd9"] * 3)
    us["PixelData"].VR = "OB"
    us.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    save(us, directory, "us_canon_jpeg_encapsulated.dcm", implicit=False)

    odd_path = odd_length_file(directory)

    for path in [ct_path, ct_implicit_path, odd_path] + [
        os.path.join(directory, name) for name in (
            "mr_philips_nested_undefined_sequence.dcm", "mg_hologic_implicit_nested.dcm",
            "pt_ge_birth_date_only.dcm", "us_canon_jpeg_encapsulated.dcm",
        )
    ]:
        manifest[os.path.basename(path)] = {"header": pydicom_view(path)}

    big = base_dataset(ExplicitVRBigEndian, Modality="CT", Manufacturer="SIEMENS", PatientID="P-007")
    save(big, directory, "ct_big_endian.dcm", implicit=False)
    manifest["ct_big_endian.dcm"] = {"error": {"kind": "unsupportedTransferSyntax", "uid": ExplicitVRBigEndian}}

    deflated = base_dataset(DeflatedExplicitVRLittleEndian, Modality="CT", Manufacturer="GE", PatientID="P-008")
    save(deflated, directory, "ct_deflated.dcm", implicit=False)
    manifest["ct_deflated.dcm"] = {"error": {"kind": "unsupportedTransferSyntax", "uid": DeflatedExplicitVRLittleEndian}}

    with open(ct_path, "rb") as source:
        ct_bytes = source.read()
    manufacturer = element_offset(ct_bytes, b"\x08\x00\x70\x00LO")
    with open(os.path.join(directory, "truncated_mid_element.dcm"), "wb") as out:
        out.write(ct_bytes[: manufacturer + 9])
    manifest["truncated_mid_element.dcm"] = {"error": {"kind": "truncated", "tag": "(0008,0070)", "offset": manufacturer}}
    pixels = element_offset(ct_bytes, b"\xe0\x7f\x10\x00OW")
    with open(os.path.join(directory, "truncated_in_pixel_data.dcm"), "wb") as out:
        out.write(ct_bytes[: pixels + 12 + 1000])
    manifest["truncated_in_pixel_data.dcm"] = {"error": {"kind": "truncated", "tag": "(7FE0,0010)", "offset": pixels}}

    with open(ct_implicit_path, "rb") as source:
        implicit_bytes = bytearray(source.read())
    patient_id = element_offset(implicit_bytes, b"\x10\x00\x20\x00" + struct.pack("<I", len(b"P-002")+1))
    implicit_bytes[patient_id + 4 : patient_id + 8] = struct.pack("<I", 0x8000)
    with open(os.path.join(directory, "malformed_length.dcm"), "wb") as out:
        out.write(implicit_bytes)
    manifest["malformed_length.dcm"] = {"error": {"kind": "malformedLength", "tag": "(0010,0020)", "offset": patient_id}}

    with open(os.path.join(directory, "not_dicom.dcm"), "wb") as out:
        out.write(b"PatientID,Modality\n" * 20)
    manifest["not_dicom.dcm"] = {"error": {"kind": "notDICOM", "offset": 128}}

    with open(os.path.join(directory, "manifest.json"), "w") as out:
        json.dump(manifest, out, indent=2, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
