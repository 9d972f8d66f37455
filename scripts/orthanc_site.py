#!/usr/bin/env python3
"""A local Orthanc DICOM server with its DICOMweb plugin, for the demo and the import benchmark.

  orthanc_site.py available                      exit 0 when Orthanc and the plugin are installed
  orthanc_site.py start --dir D --http-port P --dicom-port Q [--user U --password-file F]
                                                 own config, storage and log under D; waits until it answers
  orthanc_site.py upload --url URL [--user U --password-file F] PATH...
                                                 stores every file under PATH (POST /instances, one connection)
  orthanc_site.py stop --dir D                   SIGTERM, then SIGKILL after 10 s

Orthanc listens on 127.0.0.1 only (RemoteAccessAllowed false). Debian packages: orthanc,
orthanc-dicomweb.
"""

import argparse
import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse

ORTHANC = "/usr/sbin/Orthanc"
PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"


def available():
    return os.access(ORTHANC, os.X_OK) and os.path.exists(PLUGIN)


def auth_header(user, password_file):
    if not user:
        return {}
    with open(password_file) as handle:
        password = handle.read().rstrip("\n")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def start(args):
    os.makedirs(args.dir, exist_ok=True)
    config = {
        "Name": "OncoMesh site",
        "StorageDirectory": os.path.join(args.dir, "storage"),
        "IndexDirectory": os.path.join(args.dir, "index"),
        "HttpPort": args.http_port,
        "DicomPort": args.dicom_port,
        "RemoteAccessAllowed": False,
        "Plugins": [PLUGIN],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False},
        "SaveJobs": False,
    }
    if args.user:
        with open(args.password_file) as handle:
            config["AuthenticationEnabled"] = True
            config["RegisteredUsers"] = {args.user: handle.read().rstrip("\n")}
    path = os.path.join(args.dir, "orthanc.json")
    with open(path, "w") as handle:
        json.dump(config, handle, indent=2)
    log = open(os.path.join(args.dir, "orthanc.log"), "w")
    process = subprocess.Popen([ORTHANC, path], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    with open(os.path.join(args.dir, "orthanc.pid"), "w") as handle:
        handle.write(str(process.pid))
    headers = auth_header(args.user, args.password_file)
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"Orthanc exited with status {process.returncode}; see {args.dir}/orthanc.log")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", args.http_port, timeout=2)
            connection.request("GET", "/system", headers=headers)
            if connection.getresponse().status == 200:
                print(f"http://127.0.0.1:{args.http_port}")
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"Orthanc did not answer on port {args.http_port} within 30 s; see {args.dir}/orthanc.log")


def upload(args):
    url = urllib.parse.urlparse(args.url)
    headers = {"Content-Type": "application/dicom", **auth_header(args.user, args.password_file)}
    files = []
    for root in args.paths:
        if os.path.isfile(root):
            files.append(root)
        for directory, _, names in os.walk(root):
            files.extend(os.path.join(directory, name) for name in sorted(names))
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    started = time.time()
    for path in files:
        with open(path, "rb") as handle:
            connection.request("POST", "/instances", body=handle.read(), headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            sys.exit(f"{path}: Orthanc answered {response.status}: {body[:200]!r}")
    elapsed = time.time() - started
    print(f"stored {len(files)} files in {elapsed:.1f} s ({len(files) / max(elapsed, 1e-9):.0f} files/s)")


def stop(args):
    path = os.path.join(args.dir, "orthanc.pid")
    if not os.path.exists(path):
        return
    with open(path) as handle:
        pid = int(handle.read())
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.remove(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("available")
    starting = commands.add_parser("start")
    starting.add_argument("--dir", required=True)
    starting.add_argument("--http-port", type=int, required=True)
    starting.add_argument("--dicom-port", type=int, required=True)
    starting.add_argument("--user")
    starting.add_argument("--password-file")
    uploading = commands.add_parser("upload")
    uploading.add_argument("--url", required=True)
    uploading.add_argument("--user")
    uploading.add_argument("--password-file")
    uploading.add_argument("paths", nargs="+")
    stopping = commands.add_parser("stop")
    stopping.add_argument("--dir", required=True)
    args = parser.parse_args()
    if args.command == "available":
        sys.exit(0 if available() else 1)
    {"start": start, "upload": upload, "stop": stop}[args.command](args)


if __name__ == "__main__":
    main()
