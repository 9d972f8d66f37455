#!/usr/bin/env python3
"""Imaging import speed: about 10,000 synthetic studies stored in a local Orthanc (DICOMweb
plugin) and imported by `meshnode import --dicomweb` over loopback, and the same files by
`meshnode import --dicom-dir`; where the time goes (our process's CPU, Orthanc's CPU, wall).

Run from the repository root:  make benchmark-dicomweb
"""

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = os.path.join(HERE, "..", "scripts", "orthanc_site.py")


def cpu_seconds_of(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command, orthanc_pid=None):
    before_ours = children_cpu()
    before_orthanc = cpu_seconds_of(orthanc_pid) if orthanc_pid else 0
    started = time.time()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.time() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    ours = children_cpu() - before_ours
    orthanc = (cpu_seconds_of(orthanc_pid) - before_orthanc) if orthanc_pid else 0
    return wall, ours, orthanc, result.stdout.strip().splitlines()[-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--meshnode", required=True)
    parser.add_argument("--subjects", type=int, default=3600, help="general-profile subjects (about 2.8 studies each)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8642)
    args = parser.parse_args()
    if subprocess.run([sys.executable, SITE, "available"]).returncode != 0:
        sys.exit("Orthanc with its DICOMweb plugin is not installed (Debian: orthanc, orthanc-dicomweb)")
    work = tempfile.mkdtemp(prefix="oncomesh-dicomweb-benchmark-")
    orthanc_dir = os.path.join(work, "orthanc")
    try:
        subprocess.run([args.meshnode, "synth", "--profile", "general", "--subjects", str(args.subjects), "--seed", "7",
                        "--dicom-dir", f"{work}/dicom", "--clinical-out", f"{work}/clinical.csv", "--mapping-out",
                        f"{work}/mapping.yaml", "--instances-per-study", "1"], check=True, stdout=subprocess.DEVNULL)
        url = subprocess.run([sys.executable, SITE, "start", "--dir", orthanc_dir, "--http-port", str(args.port),
                              "--dicom-port", str(args.port + 1)], check=True, capture_output=True, text=True).stdout.strip()
        with open(os.path.join(orthanc_dir, "orthanc.pid")) as handle:
            pid = int(handle.read())
        upload = subprocess.run([sys.executable, SITE, "upload", "--url", url, f"{work}/dicom"], check=True,
                                capture_output=True, text=True).stdout.strip()
        print(f"Orthanc: {upload}")
        common = ["--clinical", f"{work}/clinical.csv", "--mapping", f"{work}/mapping.yaml", "--no-progress"]
        rows = []
        for run in range(args.runs):
            database = f"{work}/site-{run}.db"
            first = timed([args.meshnode, "import", "--db", database, "--dicomweb", f"{url}/dicom-web"] + common, pid)
            again = timed([args.meshnode, "import", "--db", database, "--dicomweb", f"{url}/dicom-web"] + common, pid)
            folder = timed([args.meshnode, "import", "--db", f"{work}/folder-{run}.db", "--dicom-dir", f"{work}/dicom"] + common)
            rows.append((first, again, folder))
        studies = int(re.search(r"imported (\d+) studies", rows[0][0][3]).group(1))
        print(f"\n{studies} studies ({args.subjects} subjects), one instance each; {args.runs} runs, medians\n")
        print("| import | wall | studies/s | meshnode CPU | Orthanc CPU |")
        print("|---|---:|---:|---:|---:|")

        def median(values):
            values = sorted(values)
            return values[len(values) // 2]

        for label, index in (("DICOMweb, first import", 0), ("DICOMweb, nothing changed", 1), ("folder (same files)", 2)):
            wall = median([row[index][0] for row in rows])
            ours = median([row[index][1] for row in rows])
            theirs = median([row[index][2] for row in rows])
            print(f"| {label} | {wall:.1f} s | {studies / wall:.0f} | {ours:.1f} s | {theirs:.1f} s |")
        print("\nlast lines:")
        for index in range(3):
            print("  " + rows[-1][index][3])
    finally:
        subprocess.run([sys.executable, SITE, "stop", "--dir", orthanc_dir])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
